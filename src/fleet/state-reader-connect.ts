import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { PatrolConfig } from '../config/schema.js';
import { CameraStateReader } from './camera-state-board.js';
import { fleetKeys } from './keys.js';
import { NormalHerePublisher } from './scene-feedback.js';

/**
 * `patrol serve`'s view of the fleet: its own Redis connection reading every configured camera's state, and
 * publishing reviewers' "normal here" for the workers.
 * It never blocks start-up: with Redis down the Cameras page says "unknown" until it is back.
 */
export async function connectStateReader(
  config: PatrolConfig,
  redisUrl: string,
  logger: Logger,
): Promise<{ get: CameraStateReader['get']; normalHere: NormalHerePublisher; close(): void }> {
  const redis = new Redis(redisUrl, {
    connectionName: 'patrol-serve-camera-state',
    maxRetriesPerRequest: 1,
    commandTimeout: 2_000,
    retryStrategy: (times) => Math.min(200 * times, 5_000),
  });
  let warned = false;
  redis.on('error', (err: Error) => {
    if (!warned) logger.warn({ err: err.message }, 'camera state: Redis connection error (retrying)');
    warned = true;
  });
  redis.on('ready', () => (warned = false));
  const keys = fleetKeys(config.fleet.keyPrefix);
  const reader = new CameraStateReader(
    redis,
    keys,
    config.cameras.filter((c) => c.enabled).map((c) => c.id),
    logger,
  );
  await reader.start();
  return {
    get: (id) => reader.get(id),
    // Reviewers' "normal here" share the connection: one small XADD per decision.
    normalHere: new NormalHerePublisher(redis, keys),
    close: () => {
      reader.close();
      redis.disconnect();
    },
  };
}
