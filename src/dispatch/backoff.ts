/** How often and how patiently a message whose handler throws is retried. */
export interface RetryPolicy {
  /** Total deliveries including the first; after the last failure the message is kept as failed (dead letter). */
  attempts: number;
  /** Delay before the first retry; doubles each retry (BullMQ's `exponential`). */
  backoffMs: number;
  /** Upper bound for one delay (the embedded queue and the spool replayer honour it; BullMQ's exponential has none). */
  maxBackoffMs: number;
}

/**
 * 12 deliveries over about 34 minutes (1 s, 2 s, … 1024 s): long enough to ride out a consumer restart or a
 * full disk being cleared, short enough that a poison message surfaces as failed the same shift.
 */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 12, backoffMs: 1_000, maxBackoffMs: 30 * 60_000 };

/**
 * Delay before retry number `attempt` (1 = first retry): `backoffMs · 2^(attempt-1)`, capped. Same formula as
 * BullMQ's built-in exponential backoff so both queues behave alike.
 */
export function backoffDelay(attempt: number, policy: Pick<RetryPolicy, 'backoffMs' | 'maxBackoffMs'>): number {
  if (!(attempt >= 1)) return 0;
  // 2^attempt overflows to Infinity long before it matters; Math.min keeps the cap.
  const raw = policy.backoffMs * 2 ** (Math.floor(attempt) - 1);
  return Math.min(Number.isFinite(raw) ? raw : policy.maxBackoffMs, policy.maxBackoffMs);
}

export function resolveRetry(partial: Partial<RetryPolicy> | undefined): RetryPolicy {
  const p = { ...DEFAULT_RETRY, ...partial };
  if (!Number.isInteger(p.attempts) || p.attempts < 1) throw new RangeError(`retry.attempts must be an integer ≥ 1, got ${p.attempts}`);
  if (!(p.backoffMs >= 0) || !(p.maxBackoffMs >= p.backoffMs)) {
    throw new RangeError(`retry.backoffMs must be ≥ 0 and ≤ retry.maxBackoffMs, got ${p.backoffMs} and ${p.maxBackoffMs}`);
  }
  return p;
}
