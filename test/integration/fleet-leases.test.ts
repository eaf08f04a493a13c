import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CameraConfig } from '../../src/config/schema.js';
import { CameraSchema } from '../../src/config/schema.js';
import { fleetKeys, leaseValue } from '../../src/fleet/keys.js';
import { LeaseManager, type StopReason } from '../../src/fleet/leases.js';
import type { Log } from '../../src/log/log.js';
import { RedisOpenEvents } from '../../src/fleet/redis-open-events.js';
import { CameraRegistry, cameraFingerprint } from '../../src/fleet/registry.js';
import { RELEASE, HEARTBEAT } from '../../src/fleet/scripts.js';
import type { PatrolEvent } from '../../src/contracts/event.js';
import { TestRedis } from '../../support/redis.js';

/** Fast leases so the whole file runs in seconds. */
const TTL = 1_500;
const HEARTBEAT_MS = 300;
const SCAN = 100;

const quiet: Log = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} };
const cams: CameraConfig[] = Array.from({ length: 6 }, (_, i) => CameraSchema.parse({ id: `cam${i}`, url: `rtsp://127.0.0.1:1/cam${i}` }));
const runnable = new Map(cams.map((c) => [c.id, cameraFingerprint(c)]));

interface Ownership {
  /** camera → worker analyzing it now (the fake pipeline). */
  analyzing: Map<string, string>;
  log: Array<{ t: number; worker: string; camera: string; what: 'start' | 'stop'; why?: StopReason }>;
  violations: string[];
}

let redis: TestRedis;
let prefixN = 0;
const conns: Redis[] = [];
const managers: LeaseManager[] = [];

function connect(): Redis {
  const r = new Redis(redis.url, { maxRetriesPerRequest: 1, commandTimeout: 1_000, retryStrategy: () => 200 });
  r.on('error', () => {});
  conns.push(r);
  return r;
}

async function until(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function fleet(prefix: string) {
  const own: Ownership = { analyzing: new Map(), log: [], violations: [] };
  const spawn = (workerId: string, conn = connect(), extra: { maxCameras?: number } = {}) => {
    const m = new LeaseManager({
      redis: conn,
      keys: fleetKeys(prefix),
      workerId,
      ttlMs: TTL,
      heartbeatMs: HEARTBEAT_MS,
      scanMs: SCAN,
      runnable,
      logger: quiet,
      ...extra,
      handler: {
        start: async (lease) => {
          const other = own.analyzing.get(lease.cameraId);
          if (other) own.violations.push(`${lease.cameraId}: ${workerId} started while ${other} still analyzes it`);
          own.analyzing.set(lease.cameraId, workerId);
          own.log.push({ t: Date.now(), worker: workerId, camera: lease.cameraId, what: 'start' });
        },
        stop: async (cameraId, why) => {
          await new Promise((r) => setTimeout(r, 30)); // an in-flight frame finishing
          if (own.analyzing.get(cameraId) === workerId) own.analyzing.delete(cameraId);
          own.log.push({ t: Date.now(), worker: workerId, camera: cameraId, what: 'stop', why });
        },
      },
    });
    managers.push(m);
    return m;
  };
  return { own, spawn };
}

const count = (own: Ownership, worker: string) => [...own.analyzing.values()].filter((w) => w === worker).length;

beforeAll(async () => {
  redis = await TestRedis.start();
});
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.close(async () => {}).catch(() => undefined)));
  for (const c of conns.splice(0)) c.disconnect();
});
afterAll(async () => {
  await redis?.stop();
});

async function registered(prefix: string): Promise<void> {
  const r = connect();
  await new CameraRegistry(r, fleetKeys(prefix)).register(cams);
}

describe('camera leases on a real Redis', () => {
  it('spreads cameras evenly, rebalances when a worker joins, hands over on graceful leave', async () => {
    const prefix = `t${++prefixN}`;
    await registered(prefix);
    const { own, spawn } = fleet(prefix);
    const a = spawn('a');
    const b = spawn('b');
    await Promise.all([a.start(), b.start()]);
    await until('6 cameras on 2 workers, 3 each', () => count(own, 'a') === 3 && count(own, 'b') === 3);

    const c = spawn('c');
    await c.start();
    await until('rebalanced to 2 each', () => count(own, 'a') === 2 && count(own, 'b') === 2 && count(own, 'c') === 2);
    // Released gracefully: each handed-back camera was stopped before its lease was released.
    expect(own.log.filter((e) => e.what === 'stop').every((e) => e.why === 'rebalance')).toBe(true);

    const t0 = Date.now();
    await c.close(async () => {});
    await until('c’s cameras taken by a and b', () => count(own, 'a') === 3 && count(own, 'b') === 3);
    // A graceful leave frees the cameras at once: no waiting for the TTL.
    expect(Date.now() - t0).toBeLessThan(TTL);
    expect(own.violations).toEqual([]);
  });

  it('a worker that can no longer reach Redis stops its cameras before anyone else can take them', async () => {
    const prefix = `t${++prefixN}`;
    await registered(prefix);
    const { own, spawn } = fleet(prefix);
    const doomedConn = connect();
    const doomed = spawn('doomed', doomedConn);
    await doomed.start();
    await until('doomed holds all 6', () => count(own, 'doomed') === 6);
    const survivor = spawn('survivor');
    await survivor.start();
    await until('3 and 3', () => count(own, 'doomed') === 3 && count(own, 'survivor') === 3);
    const held = [...own.analyzing].filter(([, w]) => w === 'doomed').map(([c]) => c);

    // Partition: the doomed worker's Redis connection drops and its reconnects are refused.
    doomedConn.options.retryStrategy = () => null;
    doomedConn.disconnect();
    await until('survivor took over', () => count(own, 'survivor') === 6, TTL * 4);
    for (const camera of held) {
      const stopped = own.log.find((e) => e.worker === 'doomed' && e.camera === camera && e.what === 'stop');
      const taken = own.log.find((e) => e.worker === 'survivor' && e.camera === camera && e.what === 'start');
      expect(stopped?.why).toBe('lost');
      // The old owner stops before the new one starts: by design a heartbeat apart, less however late the
      // stop timer fires on a loaded machine (238 ms of 300 was seen), so the test holds the safety property.
      expect(taken!.t - stopped!.t).toBeGreaterThan(0);
    }
    expect(own.violations).toEqual([]);
  });

  it('fencing: a stale token renews, releases and saves nothing; the next owner continues the open events', async () => {
    const prefix = `t${++prefixN}`;
    await registered(prefix);
    const keys = fleetKeys(prefix);
    const r = connect();
    const { own, spawn } = fleet(prefix);
    const a = spawn('a');
    await a.start();
    await until('a holds cam0', () => own.analyzing.get('cam0') === 'a');
    const lease = a.lease('cam0')!;
    expect(await r.get(keys.lease('cam0'))).toBe(leaseValue('a', lease.token));

    // The holder saves open events under its token.
    const store = new RedisOpenEvents(r, keys, (id) => a.lease(id)?.value, quiet);
    const event = { id: 'cam0-z-stall-1', cameraId: 'cam0', zoneId: 'z', type: 'stall', startedAt: 1, confirmedAt: 2, lastSeenAt: 3, endedAt: null, peakScore: 0.9, bestBoxes: [], model: 'm', evidence: { sha256: {} } } satisfies PatrolEvent;
    store.save('cam0', [event]);
    await store.flush('cam0');
    expect(store.refused).toBe(0);

    // A stale owner (older token) is refused everything.
    const stale = leaseValue('old-worker', lease.token - 1);
    expect(await RELEASE.run(r, [keys.lease('cam0')], [stale])).toBe(0);
    const hb = (await HEARTBEAT.run(r, [keys.workers, keys.worker('old-worker'), keys.cameras, keys.camerasVersion, keys.lease('cam0')], ['old-worker', TTL, '{}', stale])) as number[];
    expect(hb[4]).toBe(0);
    const staleStore = new RedisOpenEvents(r, keys, () => stale, quiet);
    staleStore.save('cam0', []);
    await staleStore.flush();
    expect(staleStore.refused).toBe(1);
    await r.zrem(keys.workers, 'old-worker');

    // The next owner (after a's graceful leave) finds the events a saved.
    await a.close(async () => {});
    const b = spawn('b');
    await b.start();
    await until('b holds cam0', () => own.analyzing.get('cam0') === 'b');
    expect(b.lease('cam0')!.token).toBeGreaterThan(lease.token);
    const next = new RedisOpenEvents(r, keys, (id) => b.lease(id)?.value, quiet);
    expect(await next.prefetch('cam0')).toEqual([event]);
    expect(next.load('cam0')).toEqual([event]);
    expect(own.violations).toEqual([]);
  });

  it('honours maxCameras and leaves cameras of a different config to others', async () => {
    const prefix = `t${++prefixN}`;
    await registered(prefix);
    const { own, spawn } = fleet(prefix);
    const a = spawn('a', connect(), { maxCameras: 2 });
    await a.start();
    await until('a holds 2', () => count(own, 'a') === 2);
    await new Promise((r) => setTimeout(r, SCAN * 5));
    expect(count(own, 'a')).toBe(2);
    // Re-register cam0 with another setup: nobody running the old config takes it.
    const changed = cams.map((c) => (c.id === 'cam5' ? { ...c, intervalSec: 9 } : c));
    await new CameraRegistry(connect(), fleetKeys(prefix)).register(changed);
    const b = spawn('b');
    await b.start();
    await until('b holds 3 (not cam5)', () => count(own, 'b') === 3);
    expect(own.analyzing.has('cam5')).toBe(false);
    expect(own.violations).toEqual([]);
  });
});
