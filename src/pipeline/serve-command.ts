import { mkdirSync } from 'node:fs';
import { loadConfig } from '../config/load-config.js';
import { createLogger } from '../log/logger.js';
import { createDispatchQueue } from '../dispatch/create-queue.js';
import { startReview } from './start-review.js';
import { connectStateReader } from '../fleet/state-reader-connect.js';
import { Observability } from '../observe/observability.js';

/**
 * `patrol serve`: the review service alone — it consumes the dispatch queue (BullMQ via REDIS_URL when the
 * pipeline runs on other machines) into the event store and serves the API and UI.
 */
export async function serveCommand(opts: { configPath: string }): Promise<number> {
  const { config, file } = loadConfig(opts.configPath);
  const logger = createLogger({ level: config.log.level });
  mkdirSync(config.storage.dir, { recursive: true });
  if (!config.queue.redisUrl) logger.warn('no REDIS_URL: serving events from the embedded queue on this machine only');
  const queue = createDispatchQueue({ redisUrl: config.queue.redisUrl, name: config.queue.name, storageDir: config.storage.dir, logger });
  // Ops watch the review server like the workers: /metrics (queue depth, process), /healthz, /readyz on fleet.metricsPort.
  const observe = new Observability({ role: 'serve', config, logger, queue });
  await observe.listen(false);
  // With Redis, the workers publish each camera's state there; without, nothing analyzes here to report on.
  const states = config.queue.redisUrl ? await connectStateReader(config, config.queue.redisUrl, logger) : undefined;
  const review = await startReview({ config, queue, logger, getCameraStatus: (id) => states?.get(id), sceneFeedback: states?.normalHere });
  logger.info({ config: file, url: review.url }, 'review service started');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await review.close();
  states?.close();
  await queue.close();
  await observe.close();
  return 0;
}
