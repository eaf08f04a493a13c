import { BullmqDispatchQueue } from './bullmq-queue.js';
import { EmbeddedDispatchQueue } from './embedded-queue.js';
import { silentLog } from '../log/log.js';
import type { DispatchQueue, QueueOptions } from './queue.js';
import { redactRedisUrl } from '../log/redact.js';

export interface CreateDispatchQueueOptions extends QueueOptions {
  /** `redis://…` selects BullMQ; absent or empty selects the embedded SQLite queue. (REDIS_URL is the caller's business.) */
  redisUrl?: string | undefined;
  /** BullMQ only: handlers running at once, 1–4 (default 1 keeps publish order). */
  concurrency?: number;
}

/** The dispatch queue for this configuration: BullMQ when a Redis URL is given, the embedded durable queue otherwise. */
export function createDispatchQueue(opts: CreateDispatchQueueOptions): DispatchQueue {
  const logger = opts.logger ?? silentLog;
  const common = { name: opts.name, storageDir: opts.storageDir, logger, retry: opts.retry, retentionMs: opts.retentionMs };
  const url = opts.redisUrl?.trim();
  if (url) {
    logger.info({ redis: redactRedisUrl(url), queue: opts.name }, 'dispatch queue: BullMQ on Redis, spooling to local disk during outages');
    return new BullmqDispatchQueue({ ...common, redisUrl: url, concurrency: opts.concurrency });
  }
  logger.info({ queue: opts.name, storageDir: opts.storageDir }, 'dispatch queue: embedded (SQLite on local disk)');
  return new EmbeddedDispatchQueue(common);
}
