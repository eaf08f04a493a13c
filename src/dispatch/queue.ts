import type { DispatchMessage } from '../contracts/dispatch-message.js';
import type { Log } from '../log/log.js';
import type { RetryPolicy } from './backoff.js';

/** What every dispatch queue is built from. */
export interface QueueOptions {
  /** Queue name, no ':' (BullMQ's key separator); it also names the queue's files. */
  name: string;
  /** The embedded queue (`<name>.sqlite`) and the Redis-outage spool (`<name>.spool.sqlite`) live under `<storageDir>/queue/`. */
  storageDir: string;
  logger?: Log;
  retry?: Partial<RetryPolicy>;
  /** How long an acknowledged jobId is remembered, so a late re-publish is still ignored. Default 7 days. */
  retentionMs?: number;
}

export function jobIdFor(kind: DispatchMessage['kind'], eventId: string, seq = 0): string {
  return kind === 'opened' ? eventId : kind === 'ended' ? `${eventId}.ended` : `${eventId}.u${seq.toString(36)}`;
}

export type DispatchHandler = (msg: DispatchMessage) => Promise<void>;

/** One interface, two implementations (BullMQ when REDIS_URL is set, embedded durable queue otherwise). */
export interface DispatchQueue {
  readonly kind: 'bullmq' | 'embedded';
  /** Durable before it resolves; never throws for a transient outage (spools instead). */
  publish(msg: DispatchMessage): Promise<void>;
  /** Start delivering messages to `handler`; a handler that throws gets the message again later. */
  consume(handler: DispatchHandler): Promise<void>;
  /** Messages published but not yet acknowledged by a consumer (including spooled ones). */
  depth(): Promise<number>;
  close(): Promise<void>;
}
