import { z } from 'zod';

/** Connection state a camera source reports; ops see this per camera. */
export const SourceStateSchema = z.enum(['connecting', 'live', 'backoff', 'failed', 'stopped']);
export type SourceState = z.infer<typeof SourceStateSchema>;

export interface SourceStatus {
  cameraId: string;
  state: SourceState;
  /** Human-readable reason for backoff/failed (ffmpeg's last error line, redacted). */
  reason?: string;
  attempt: number;
  /** When the next reconnect is due (epoch ms), while in backoff. */
  retryAt?: number;
  lastFrameAt?: number;
  /** Toured cameras (cameras[].tour): the tour's bookkeeping. */
  tour?: TourStatus;
  /** How the camera is received and why (set by the pipeline from the camera's config). */
  transport?: TransportChoice;
}

export const TransportSchema = z.enum(['ffmpeg', 'native']);
export type Transport = z.infer<typeof TransportSchema>;

/** Which transport a camera got, and the reason in words (the config said so, or what its url and decode allow). */
export const TransportChoiceSchema = z.object({
  kind: TransportSchema.describe('ffmpeg: one ffmpeg process per camera; native: the in-process RTSP client and the shared decoder pool'),
  why: z.string().describe('why this transport: set in the config, or the default for this url and decode'),
  explicit: z.boolean().describe('cameras[].transport set it (otherwise the default for the url and decode)'),
  rtp: z
    .enum(['tcp', 'udp'])
    .optional()
    .describe('how RTP travels from an rtsp:// camera: tcp, interleaved in the RTSP connection (the default), or udp (cameras[].rtspTransport: udp); absent for inputs without RTP (files)'),
});
export type TransportChoice = z.infer<typeof TransportChoiceSchema>;

/**
 * The transport in a few words, the same in the start-up log, `check-config` and the `--once` summary:
 * "native", or "native, RTP over UDP" — UDP is the exception worth seeing (a firewall may drop it).
 */
export function transportLabel(t: Pick<TransportChoice, 'kind' | 'rtp'>): string {
  return t.rtp === 'udp' ? `${t.kind}, RTP over UDP` : t.kind;
}

/** The widest transportLabel, for the column it fills in a terminal table. */
export const TRANSPORT_WIDTH = 'ffmpeg, RTP over UDP'.length;

/**
 * A toured camera between and during visits: its state is live while visits bring frames (backoff or failed
 * when one fails), and this says when it was seen and is due.
 */
export const TourStatusSchema = z.object({
  revisitSec: z.number().describe('the revisit interval now, priority and market hours applied'),
  lastVisitAt: z.number().optional().describe('when the last successful visit began (epoch ms)'),
  nextDueAt: z.number().optional().describe('when the next visit is due (epoch ms); absent while held open'),
  visits: z.number().int().describe('successful visits'),
  misses: z.number().int().describe('visits that began later than their revisit interval allows'),
  held: z.boolean().describe('held open (a candidate or an open event): connected and analyzed every intervalSec until it ends'),
});
export type TourStatus = z.infer<typeof TourStatusSchema>;

/** One tour visit, for metrics: how long it took and whether it came late. */
export interface TourVisitReport {
  cameraId: string;
  ok: boolean;
  startedAt: number;
  /** From the connect to the decoded keyframe (or the failure). */
  durationMs: number;
  /** It began later than the camera's revisit interval allows (tour.missTolerance). */
  miss: boolean;
  reason?: string;
}

/** The picture checks camera health runs (observe/camera-health.ts); an open one is an alert on the Cameras page. */
export type HealthCheck = 'frozen' | 'dark' | 'blurred' | 'shifted';
export const HEALTH_CHECKS: readonly HealthCheck[] = ['frozen', 'dark', 'blurred', 'shifted'];

/**
 * What the Cameras page shows about a camera while it runs: its connection state and since when, which
 * process analyzes it, the analyzed frame rate, the last frame, and its open health alerts with their start
 * times. Workers publish this through Redis (fleet/camera-state-board.ts); `patrol run` reads it in process.
 */
export const CameraAlertSchema = z.object({
  check: z.enum(HEALTH_CHECKS as [HealthCheck, ...HealthCheck[]]),
  since: z.number().describe('when the alert was raised (epoch ms)'),
});
export type CameraAlert = z.infer<typeof CameraAlertSchema>;

export const CameraRuntimeSchema = z.object({
  cameraId: z.string(),
  state: SourceStateSchema,
  reason: z.string().optional(),
  attempt: z.number().int(),
  retryAt: z.number().optional(),
  lastFrameAt: z.number().optional(),
  worker: z.string().optional().describe('the worker (or process) analyzing the camera'),
  since: z.number().optional().describe('when the camera entered this state (epoch ms)'),
  fps: z.number().optional().describe('frames analyzed per second over the last minute'),
  alerts: z.array(CameraAlertSchema).optional(),
  updatedAt: z.number().optional().describe('when the worker last published this (epoch ms)'),
  tour: TourStatusSchema.optional(),
  transport: TransportChoiceSchema.optional(),
});
export type CameraRuntimeStatus = z.infer<typeof CameraRuntimeSchema>;
