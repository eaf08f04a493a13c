export interface BackoffOptions {
  /** Delay before the first retry. */
  baseMs: number;
  /** Cap: no delay exceeds this, jitter included. */
  maxMs: number;
  /** Fraction of the delay that is randomized, 0..1: the delay lands in [d·(1−jitter), d]. */
  jitter: number;
  /** Uniform [0, 1), injectable for tests. */
  random?: () => number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1_000, maxMs: 60_000, jitter: 0.3 };

/**
 * Capped exponential backoff with jitter: attempt 0 waits ≈ baseMs, each later attempt doubles, up to maxMs.
 * The jitter only shortens the delay ("equal jitter" style), so the cap holds, and 1000 cameras that lost
 * the same switch do not reconnect in lockstep.
 */
export function nextBackoffMs(attempt: number, opts: BackoffOptions): number {
  const { baseMs, maxMs } = opts;
  const jitter = Math.min(1, Math.max(0, opts.jitter));
  const random = opts.random ?? Math.random;
  const n = Math.max(0, Math.floor(Number.isFinite(attempt) ? attempt : 0));
  // 2^n overflows to Infinity for large n; min() keeps it at the cap.
  const delay = Math.min(maxMs, baseMs * 2 ** Math.min(n, 1_000));
  return Math.max(0, Math.round(delay * (1 - jitter * random())));
}
