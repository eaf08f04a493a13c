/** Connection state a camera source reports; ops see this per camera. */
export type SourceState = 'connecting' | 'live' | 'backoff' | 'failed' | 'stopped';

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
