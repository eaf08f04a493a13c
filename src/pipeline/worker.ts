import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { CameraConfig, PatrolConfig } from '../config/schema.js';
import { createDispatchQueue } from '../dispatch/create-queue.js';
import { redactRedisUrl } from '../log/redact.js';
import { PatrolError } from '../errors.js';
import { Observability } from '../observe/observability.js';
import { startPipeline, type Pipeline } from './pipeline.js';
import { FencedQueue } from '../fleet/fenced-queue.js';
import { fleetKeys, type FleetKeys } from '../fleet/keys.js';
import { LeaseManager } from '../fleet/leases.js';
import { RedisOpenEvents } from '../fleet/redis-open-events.js';
import { RedisScenes } from '../fleet/redis-scenes.js';
import { CameraRegistry, cameraFingerprint } from '../fleet/registry.js';
import { CameraStateTracker, syncAlerts } from '../fleet/camera-state.js';
import { CameraStatePublisher } from '../fleet/camera-state-board.js';
import { NormalHereReader } from '../fleet/scene-feedback.js';
import { applyNormalHere, rereferenceOnShift } from './scene-hooks.js';

export interface WorkerOptions {
  config: PatrolConfig;
  logger: Logger;
  workerId: string;
  redisUrl: string;
  env?: NodeJS.ProcessEnv;
}

export interface FleetWorker {
  readonly workerId: string;
  readonly pipeline: Pipeline;
  readonly leases: LeaseManager;
  readonly observability: Observability;
  readonly metricsUrl: string | undefined;
  /** Graceful: take no more cameras, finish in-flight frames, flush events, release every lease, leave. */
  stop(): Promise<void>;
}

/**
 * `patrol worker`: one process of the camera fleet. It loads the detector, registers the config's cameras
 * in Redis, joins the fleet, and runs the pipeline for exactly the cameras it holds leases on — started
 * when a lease is won, stopped (in-flight frame published, open events saved) before a lease is released.
 */
export async function startWorker(opts: WorkerOptions): Promise<FleetWorker> {
  const { config, workerId } = opts;
  const env = opts.env ?? process.env;
  const logger = opts.logger.child({ worker: workerId });
  const fleet = config.fleet;
  const keys = fleetKeys(fleet.keyPrefix);
  const ttlMs = Math.round(fleet.leaseTtlSec * 1000);
  const heartbeatMs = Math.round(fleet.heartbeatSec * 1000);
  const redis = await connectRedis(opts.redisUrl, workerId, logger);

  let leases: LeaseManager | undefined;
  const inner = createDispatchQueue({ redisUrl: opts.redisUrl, name: config.queue.name, storageDir: config.storage.dir, logger });
  const queue = new FencedQueue(inner, (id) => leases?.mayPublish(id) ?? false);
  const observe = new Observability({ role: 'worker', config, logger, queue, workerId, env });
  const scenes = new RedisScenes(redis, keys, (id) => (leases?.mayPublish(id) ? leases.lease(id)?.value : undefined), logger);
  const openEvents = new RedisOpenEvents(redis, keys, (id) => (leases?.mayPublish(id) ? leases.lease(id)?.value : undefined), logger);
  const trace = env.PATROL_FLEET_TRACE === '1' ? new AnalysisTrace(redis, keys, workerId) : undefined;
  const server = await observe.listen(true);
  // What the Cameras page of `patrol serve` shows: state, owner, fps and health alerts, through Redis.
  const tracker = new CameraStateTracker(workerId);
  const states = new CameraStatePublisher(redis, keys, tracker, Math.max(ttlMs, 3 * heartbeatMs), logger);

  const cameras = new Map<string, CameraConfig>(config.cameras.filter((c) => c.enabled).map((c) => [c.id, c]));
  let fencedFrames = 0;
  let pipeline: Pipeline;
  const onShift = rereferenceOnShift((id) => observe.health.get(id)?.isRaised('shifted') ?? false, (id) => pipeline?.rereference(id));
  try {
    const hooks = observe.hooks;
    // The pipeline starts with no camera: cameras come and go with leases.
    pipeline = await startPipeline({
      config: { ...config, cameras: [] },
      logger,
      queue,
      mode: 'live',
      openEvents,
      scenes,
      ...hooks,
      onStatus: (s) => {
        hooks.onStatus(s);
        // A camera on its way out (released or lost) is the next owner's to report.
        const held = leases?.lease(s.cameraId);
        if (held && (held.state === 'starting' || held.state === 'active')) tracker.status(s);
      },
      admit: (frame) => {
        if (leases?.mayAnalyze(frame.cameraId)) return true;
        fencedFrames++;
        return false;
      },
      onAnalyzed: (frame, detections) => {
        hooks.onAnalyzed(frame, detections);
        tracker.analyzed(frame.cameraId);
        syncAlerts(tracker, frame.cameraId, (check) => observe.health.get(frame.cameraId)?.isRaised(check) ?? false);
        trace?.record(frame.cameraId, leases?.lease(frame.cameraId)?.token);
        onShift(frame.cameraId);
      },
      rtspAnalyzeDurationMs: fleet.rtspAnalyzeDurationSec === undefined ? undefined : fleet.rtspAnalyzeDurationSec * 1000,
    });
  } catch (err) {
    await observe.close();
    await queue.close();
    redis.disconnect();
    throw err;
  }
  observe.setPipeline(pipeline, pipeline.model);

  const registered = await new CameraRegistry(redis, keys).register([...cameras.values()]);
  logger.info({ cameras: registered.count, changed: registered.changed }, registered.changed ? `registered ${registered.count} cameras in Redis` : `${registered.count} cameras already registered`);

  leases = new LeaseManager({
    redis,
    keys,
    workerId,
    ttlMs,
    heartbeatMs,
    maxCameras: fleet.maxCameras,
    runnable: new Map([...cameras.values()].map((c) => [c.id, cameraFingerprint(c)])),
    logger,
    handler: {
      start: async (lease) => {
        const camera = cameras.get(lease.cameraId);
        if (!camera) throw new Error(`camera ${lease.cameraId} is not in this worker's config`);
        await Promise.all([openEvents.prefetch(camera.id), scenes.prefetch(camera.id)]);
        pipeline.addCamera(camera);
      },
      stop: async (cameraId) => {
        await pipeline.removeCamera(cameraId);
        await Promise.all([openEvents.flush(cameraId), scenes.flush(cameraId)]);
        observe.forgetCamera(cameraId);
        await states.clear(cameraId);
      },
    },
  });
  const l = leases;
  observe.addCheck('fleet', () => {
    const age = performance.now() - l.stats.lastHeartbeatAt;
    return l.stats.lastHeartbeatAt > 0 && age < ttlMs ? { ok: true, detail: `${l.holding} cameras leased of ${l.stats.registered}, ${l.stats.liveWorkers} workers` } : { ok: false, detail: 'no Redis heartbeat within the lease TTL' };
  });
  const syncMetrics = startMetricsSync(observe, l, queue, openEvents, () => fencedFrames);
  await l.start();
  states.start();
  // Reviewers' "normal here" from `patrol serve`, for the cameras this worker analyzes.
  const normalHere = new NormalHereReader(redis, keys, (n) => applyNormalHere(pipeline, n), logger, heartbeatMs);
  await normalHere.start();
  logger.info({ ttlMs, heartbeatMs, prefix: keys.prefix, redis: redactRedisUrl(opts.redisUrl) }, `worker ${workerId} joined the fleet`);

  let stopping: Promise<void> | undefined;
  return {
    workerId,
    pipeline,
    leases: l,
    observability: observe,
    metricsUrl: server?.url,
    stop: () =>
      (stopping ??= (async () => {
        logger.info({ cameras: pipeline.cameraIds().length }, 'shutting down: no new cameras, finishing in-flight frames, flushing events, releasing leases');
        await l.close(async () => {
          await pipeline.stop();
          await Promise.all([openEvents.flush(), scenes.flush()]);
        });
        clearInterval(syncMetrics);
        await normalHere.close();
        await states.close();
        await trace?.flush();
        await queue.close();
        await observe.close();
        redis.disconnect();
        logger.info('worker stopped; its cameras are free for the others');
      })()),
  };
}

async function connectRedis(url: string, workerId: string, logger: Logger): Promise<Redis> {
  const redis = new Redis(url, {
    connectionName: `patrol-worker-${workerId}`,
    // Lease calls must fail fast, not queue up: the deadline watchdog decides what a silence means.
    maxRetriesPerRequest: 1,
    commandTimeout: 2_000,
    retryStrategy: (times) => Math.min(100 * times, 2_000),
    lazyConnect: true,
  });
  let warned = false;
  redis.on('error', (err: Error) => {
    if (!warned) logger.warn({ err: err.message }, 'fleet Redis connection error (retrying)');
    warned = true;
  });
  redis.on('ready', () => (warned = false));
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    redis.disconnect();
    throw new PatrolError(`patrol worker cannot reach Redis at ${redactRedisUrl(url)}: ${err instanceof Error ? err.message : String(err)}`, 'Start Redis (redis-server) or fix REDIS_URL; workers need it to share cameras.');
  }
  return redis;
}

function startMetricsSync(observe: Observability, leases: LeaseManager, queue: FencedQueue, openEvents: RedisOpenEvents, fencedFrames: () => number): NodeJS.Timeout {
  const m = observe.metrics;
  const seen = { acquired: 0, released: 0, lost: 0, frame: 0, publish: 0, save: 0 };
  const bump = (counter: { inc(labels: Record<string, string>, n: number): void }, label: Record<string, string>, key: keyof typeof seen, now: number): void => {
    if (now > seen[key]) counter.inc(label, now - seen[key]);
    seen[key] = now;
  };
  const sync = (): void => {
    const s = leases.stats;
    m.leasesHeld.set(leases.holding);
    m.liveWorkers.set(s.liveWorkers);
    m.leaseQuota.set(s.quota);
    m.registeredCameras.set(s.registered);
    bump(m.leaseChanges, { change: 'acquired' }, 'acquired', s.acquired);
    bump(m.leaseChanges, { change: 'released' }, 'released', s.released);
    bump(m.leaseChanges, { change: 'lost' }, 'lost', s.lost);
    bump(m.fenced, { what: 'frame' }, 'frame', fencedFrames());
    bump(m.fenced, { what: 'publish' }, 'publish', queue.refused);
    bump(m.fenced, { what: 'save' }, 'save', openEvents.refused);
  };
  sync();
  const timer = setInterval(sync, 1_000);
  timer.unref();
  return timer;
}

/**
 * Test hook (PATROL_FLEET_TRACE=1): every admitted analysis as `{c: camera, w: worker, k: fencing token,
 * t: epoch ms}` pushed to a Redis list, so a test can check that no two workers analyzed a camera at once.
 */
class AnalysisTrace {
  private pending: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly redis: Redis,
    private readonly keys: FleetKeys,
    private readonly workerId: string,
  ) {}

  record(cameraId: string, token: number | undefined): void {
    const line = JSON.stringify({ c: cameraId, w: this.workerId, k: token ?? -1, t: Date.now() });
    this.pending = this.redis.rpush(this.keys.trace, line).catch(() => undefined);
  }

  async flush(): Promise<void> {
    await this.pending;
  }
}
