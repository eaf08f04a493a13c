import { Writable } from 'node:stream';
import { ConfigSchema, type CameraConfig, type PatrolConfig } from '../../../src/config/schema.js';
import { createDispatchQueue } from '../../../src/dispatch/create-queue.js';
import type { DispatchQueue } from '../../../src/dispatch/queue.js';
import type { SourceState, SourceStatus } from '../../../src/contracts/camera-status.js';
import { createLogger } from '../../../src/log/logger.js';
import { startPipeline, type Pipeline, type PipelineOptions } from '../../../src/pipeline/pipeline.js';
import { PATROL_DET_MANIFEST } from '../../support/test-model.js';

export interface HarnessCamera {
  id: string;
  url: string;
  intervalSec?: number;
  violations?: CameraConfig['violations'];
  zones?: unknown[];
  loop?: boolean;
  scene?: boolean;
  /** Left out: the default (native for rtsp://, ffmpeg for files). */
  transport?: CameraConfig['transport'];
}

/** A full config for these cameras, the shipped detector (or `manifest`) and a storage dir (validated like a file). */
export function harnessConfig(cameras: HarnessCamera[], storageDir: string, extra: Record<string, unknown> = {}, manifest = PATROL_DET_MANIFEST): PatrolConfig {
  return ConfigSchema.parse({
    cameras: cameras.map((c) => ({ intervalSec: 2, violations: ['stall'], ...c })),
    detector: { manifest, threads: 1 },
    storage: { dir: storageDir },
    review: { enabled: false },
    ...extra,
  });
}

export interface StatusRecord extends SourceStatus {
  at: number;
}

/**
 * A live pipeline over real cameras with everything a fault test measures: each camera's state history with
 * times, the time of every analyzed frame per camera, and every log line (JSON, as production writes them).
 */
export class PipelineHarness {
  readonly statuses = new Map<string, StatusRecord[]>();
  readonly analyzedAt = new Map<string, number[]>();
  readonly logLines: string[] = [];
  readonly logger = createLogger({
    level: 'debug',
    destination: new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        for (const line of chunk.toString().split('\n')) if (line) this.logLines.push(line);
        cb();
      },
    }),
  });
  pipeline!: Pipeline;
  queue!: DispatchQueue;

  static async start(config: PatrolConfig, opts: Partial<PipelineOptions> & { queue?: DispatchQueue } = {}): Promise<PipelineHarness> {
    const h = new PipelineHarness();
    h.queue = opts.queue ?? createDispatchQueue({ name: 'faults', storageDir: config.storage.dir, logger: h.logger });
    h.pipeline = await startPipeline({
      config,
      logger: h.logger,
      queue: h.queue,
      mode: 'live',
      // The test clips' SDP carries the H.264 parameter sets, so a 1 s probe is safe and reconnects are quicker.
      rtspAnalyzeDurationMs: 1_000,
      ...opts,
      onStatus: (s) => {
        const list = h.statuses.get(s.cameraId) ?? [];
        list.push({ ...s, at: Date.now() });
        h.statuses.set(s.cameraId, list);
        opts.onStatus?.(s);
      },
      onAnalyzed: (frame, detections) => {
        const list = h.analyzedAt.get(frame.cameraId) ?? [];
        list.push(Date.now());
        h.analyzedAt.set(frame.cameraId, list);
        opts.onAnalyzed?.(frame, detections);
      },
    });
    return h;
  }

  state(cameraId: string): SourceState | undefined {
    return this.pipeline.statuses().find((s) => s.cameraId === cameraId)?.state;
  }

  status(cameraId: string): SourceStatus | undefined {
    return this.pipeline.statuses().find((s) => s.cameraId === cameraId);
  }

  analyzed(cameraId: string, since = 0): number {
    return (this.analyzedAt.get(cameraId) ?? []).filter((t) => t >= since).length;
  }

  /** Longest time without an analyzed frame of this camera within [from, to] (edges count as gaps). */
  maxGapMs(cameraId: string, from: number, to: number): number {
    const ts = (this.analyzedAt.get(cameraId) ?? []).filter((t) => t >= from && t <= to);
    let prev = from;
    let gap = 0;
    for (const t of [...ts, to]) {
      gap = Math.max(gap, t - prev);
      prev = t;
    }
    return gap;
  }

  /** Where the longest gap of `maxGapMs` ends (epoch ms), to line it up with the faults. */
  maxGapEnd(cameraId: string, from: number, to: number): number {
    const ts = (this.analyzedAt.get(cameraId) ?? []).filter((t) => t >= from && t <= to);
    let prev = from;
    let gap = -1;
    let end = from;
    for (const t of [...ts, to]) {
      if (t - prev > gap) [gap, end] = [t - prev, t];
      prev = t;
    }
    return end;
  }

  /** First time at or after `since` the camera entered `state`. */
  enteredAt(cameraId: string, state: SourceState, since = 0): number | undefined {
    return (this.statuses.get(cameraId) ?? []).find((s) => s.state === state && s.at >= since)?.at;
  }

  history(cameraId: string, since = 0): StatusRecord[] {
    return (this.statuses.get(cameraId) ?? []).filter((s) => s.at >= since);
  }

  /** First analyzed frame of the camera at or after `since`. */
  firstAnalyzedAfter(cameraId: string, since: number): number | undefined {
    return (this.analyzedAt.get(cameraId) ?? []).find((t) => t >= since);
  }

  async stop(): Promise<void> {
    await this.pipeline?.stop();
    await this.queue?.close();
  }
}

export async function until(what: string, cond: () => boolean, timeoutMs: number, pollMs = 100): Promise<number> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
  return Date.now();
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** "12.3 s" */
export const sec = (ms: number | undefined): string => (ms === undefined ? 'n/a' : `${(ms / 1000).toFixed(1)} s`);
