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
});
export type CameraRuntimeStatus = z.infer<typeof CameraRuntimeSchema>;
