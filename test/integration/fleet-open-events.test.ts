import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CameraSchema } from '../../src/config/schema.js';
import type { Detections } from '../../src/contracts/detections.js';
import type { DispatchMessage } from '../../src/contracts/dispatch-message.js';
import type { DispatchQueue } from '../../src/dispatch/queue.js';
import { FencedQueue, LeaseLostError } from '../../src/fleet/fenced-queue.js';
import { fleetKeys } from '../../src/fleet/keys.js';
import { LeaseManager } from '../../src/fleet/leases.js';
import type { Log } from '../../src/log/log.js';
import { RedisOpenEvents } from '../../src/fleet/redis-open-events.js';
import { CameraRegistry, cameraFingerprint } from '../../src/fleet/registry.js';
import type { Frame } from '../../src/contracts/frame.js';
import { CameraAnalyzer, type EvidencePort } from '../../src/pipeline/camera-analyzer.js';
import { resolveRules } from '../../src/score/rules.js';
import { TestRedis } from '../../support/redis.js';

/**
 * A camera that moves between workers keeps its open events: the new owner loads them from Redis and
 * continues the same event (same id, no second `opened`), and the old owner can no longer publish.
 */
const quiet: Log = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} };
// The detector path alone: the scene model would need real pictures, and this test is about leases and open events.
const camera = CameraSchema.parse({ id: 'cam1', url: 'rtsp://127.0.0.1:1/cam1', violations: ['stall'], intervalSec: 5, scene: false });
const rules = resolveRules({ stall: { classScores: {}, dwellSec: 10, hits: 2, window: 3, endAfterSec: 60, cooldownSec: 60 } });
const evidence: EvidencePort = { observe: () => {}, attach: async (changes) => changes, restore: () => {} };
const T0 = Date.UTC(2026, 0, 1);

function analyzed(sec: number, score = 0.6): { frame: Frame; detections: Detections } {
  const t = T0 + sec * 1000;
  const frame: Frame = { cameraId: 'cam1', timestamp: t, ptsMs: 0, data: Buffer.alloc(0), pixelFormat: 'bgr24', width: 416, height: 416, contentWidth: 416, contentHeight: 340, sourceWidth: 704, sourceHeight: 576 };
  return { frame, detections: { cameraId: 'cam1', timestamp: t, model: 'm', items: [{ classId: 0, label: 'umbrella', score, box: [0.2, 0.5, 0.4, 0.9], violation: 'stall' }] } };
}

let redis: TestRedis;
const conns: Redis[] = [];
const connect = (): Redis => {
  const r = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  conns.push(r);
  return r;
};

beforeAll(async () => {
  redis = await TestRedis.start();
});
afterAll(async () => {
  for (const c of conns) c.disconnect();
  await redis?.stop();
});

describe('open events follow a camera across workers', () => {
  it('the next owner continues the event instead of opening a duplicate; the old one is fenced', async () => {
    const keys = fleetKeys('oe');
    await new CameraRegistry(connect(), keys).register([camera]);
    const published: Array<DispatchMessage & { by: string }> = [];
    const analyzers = new Map<string, CameraAnalyzer>();

    const worker = (id: string) => {
      const conn = connect();
      const sink: DispatchQueue = { kind: 'embedded', publish: async (m) => void published.push({ ...m, by: id }), consume: async () => {}, depth: async () => 0, close: async () => {} };
      // eslint-disable-next-line prefer-const
      let leases: LeaseManager;
      const queue = new FencedQueue(sink, (cam) => leases.mayPublish(cam));
      const store = new RedisOpenEvents(conn, keys, (cam) => (leases.mayPublish(cam) ? leases.lease(cam)?.value : undefined), quiet);
      leases = new LeaseManager({
        redis: conn,
        keys,
        workerId: id,
        ttlMs: 1_500,
        heartbeatMs: 300,
        scanMs: 100,
        runnable: new Map([[camera.id, cameraFingerprint(camera)]]),
        logger: quiet,
        handler: {
          start: async (lease) => {
            await store.prefetch(lease.cameraId);
            analyzers.set(id, new CameraAnalyzer(camera, rules, queue, evidence, store));
          },
          stop: async (cam) => {
            await store.flush(cam);
            analyzers.delete(id);
          },
        },
      });
      return { leases, queue, store };
    };

    const a = worker('a');
    await a.leases.start();
    while (!analyzers.has('a')) await new Promise((r) => setTimeout(r, 20));
    for (const sec of [0, 5, 10, 15]) {
      const { frame, detections } = analyzed(sec);
      await analyzers.get('a')!.handle(frame, detections);
    }
    const opened = published.filter((m) => m.kind === 'opened');
    expect(opened).toHaveLength(1);
    const eventId = opened[0]!.event.id;
    await a.store.flush();
    const staleAnalyzer = analyzers.get('a')!;

    // a leaves (rebalance or shutdown), b takes the camera.
    await a.leases.close(async () => {});
    const b = worker('b');
    await b.leases.start();
    while (!analyzers.has('b')) await new Promise((r) => setTimeout(r, 20));
    expect(analyzers.get('b')!.openEvents().map((e) => e.id)).toEqual([eventId]);
    // A better sighting makes the new owner publish an update of the same event.
    for (const sec of [20, 25]) {
      const { frame, detections } = analyzed(sec, 0.95);
      await analyzers.get('b')!.handle(frame, detections);
    }
    expect(published.filter((m) => m.kind === 'opened')).toHaveLength(1);
    const byB = published.filter((m) => m.by === 'b');
    expect(byB.length).toBeGreaterThan(0);
    expect(byB.every((m) => m.event.id === eventId && m.kind === 'updated')).toBe(true);

    // The old owner's analyzer (say, a paused process waking up) cannot publish or save any more.
    const { frame, detections } = analyzed(30, 0.99);
    await expect(staleAnalyzer.handle(frame, detections)).rejects.toBeInstanceOf(LeaseLostError);
    expect(published.filter((m) => m.by === 'a' && m.event.lastSeenAt === frame.timestamp)).toEqual([]);
    await b.leases.close(async () => {});
  });
});
