import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { loadConfig } from '../config/load-config.js';
import { PatrolError } from '../errors.js';
import { createLogger } from '../log/logger.js';
import { warnWithoutHeapFloor } from './heap-floor.js';
import { startWorker } from './worker.js';

/** This worker's id: PATROL_WORKER_ID, then fleet.workerId, then <hostname>-<pid> (unique per process). */
export function resolveWorkerId(configured: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const id = env.PATROL_WORKER_ID?.trim() || configured || `${hostname()}-${process.pid}`;
  if (!/^[A-Za-z0-9_.:-]+$/.test(id)) throw new PatrolError(`worker id '${id}' has characters Redis keys and logs should not carry.`, 'Use letters, digits, _ . : and - in PATROL_WORKER_ID / fleet.workerId.');
  return id;
}

/**
 * `patrol worker`: a camera worker of the fleet. Needs Redis (REDIS_URL or queue.redisUrl): it leases its
 * share of the registered cameras, analyzes them, and hands them back on SIGTERM/SIGINT.
 */
export async function workerCommand(opts: { configPath: string }): Promise<number> {
  const { config, file } = loadConfig(opts.configPath);
  const redisUrl = config.queue.redisUrl;
  if (!redisUrl) {
    throw new PatrolError(
      'patrol worker needs Redis to share cameras with the other workers, and no Redis URL is set.',
      'export REDIS_URL=redis://host:6379 (or set queue.redisUrl in the config). To analyze every camera in one process without Redis, run `patrol run`.',
    );
  }
  const logger = createLogger({ level: config.log.level });
  mkdirSync(config.storage.dir, { recursive: true });
  const workerId = resolveWorkerId(config.fleet.workerId);
  logger.info({ config: file, worker: workerId, cameras: config.cameras.length }, `starting patrol worker ${workerId}`);
  // The fleet hands this worker a share of the registered cameras: advise on the whole set.
  warnWithoutHeapFloor(logger, config.cameras.length);
  const worker = await startWorker({ config, logger, workerId, redisUrl });
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      logger.info({ signal }, `${signal}: stopping worker`);
      resolve();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  // A second signal while draining exits at once (the leases lapse by themselves after the TTL).
  const force = (): void => process.exit(130);
  process.once('SIGINT', force);
  process.once('SIGTERM', force);
  await worker.stop();
  return 0;
}
