import { z } from 'zod';
import { basename } from 'node:path';
import type { CameraConfig } from '../../config/schema.js';
import type { SourceStatus } from '../../contracts/camera-status.js';
import type { CameraAlert, CameraRuntimeStatus, TransportChoice } from '../../contracts/camera-status.js';
import { resolveTransport } from '../../config/transport.js';
import { redactCredentials } from '../../log/redact.js';

export const SourceStateSchema = z.enum(['connecting', 'live', 'backoff', 'failed', 'stopped']);

/**
 * A camera's address fit to show: no `user:pass@`, no query string (some cameras take
 * `?user=…&password=…`), no fragment; a file source shows only its file name.
 */
export function displaySource(url: string): string {
  try {
    const u = new URL(url);
    if (u.protocol === 'file:') return `file://…/${basename(decodeURIComponent(u.pathname))}`;
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return redactCredentials(url.replace(/[?#].*$/s, ''));
  }
}

export interface CameraViewModel {
  id: string;
  name: string;
  enabled: boolean;
  source: string;
  violations: CameraConfig['violations'];
  state: SourceStatus['state'] | 'unknown';
  reason?: string;
  lastFrameAt?: number;
  retryAt?: number;
  liveView: boolean;
  worker?: string;
  since?: number;
  fps?: number;
  alerts: CameraAlert[];
  updatedAt?: number;
  tour?: CameraRuntimeStatus['tour'];
  transport: TransportChoice;
}

export function cameraView(c: CameraConfig, status: CameraRuntimeStatus | undefined, liveView: boolean): CameraViewModel {
  const view: CameraViewModel = {
    id: c.id,
    name: c.name ?? c.id,
    enabled: c.enabled,
    source: displaySource(c.url),
    violations: c.violations,
    state: status?.state ?? (c.enabled ? 'unknown' : 'stopped'),
    liveView: liveView && c.enabled,
    alerts: status?.alerts ?? [],
    // What the worker reports it runs; before it reports, what the config resolves to.
    transport: status?.transport ?? resolveTransport(c),
  };
  // The ingest layer redacts its reasons already; this is the second belt, since the text is ffmpeg's.
  if (status?.reason) view.reason = redactCredentials(status.reason).replace(/([?&](?:user|username|password|pwd|pass)=)[^&\s]*/gi, '$1***');
  if (status?.lastFrameAt !== undefined) view.lastFrameAt = status.lastFrameAt;
  if (status?.retryAt !== undefined) view.retryAt = status.retryAt;
  for (const k of ['worker', 'since', 'fps', 'updatedAt', 'tour'] as const) if (status?.[k] !== undefined) (view as unknown as Record<string, unknown>)[k] = status[k];
  return view;
}
