import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { TestRedis } from '../../support/redis.js';
import { fleetKeys } from '../../src/fleet/keys.js';
import { NormalHerePublisher, NormalHereReader } from '../../src/fleet/scene-feedback.js';
import type { NormalHereNotice } from '../../src/contracts/scene-feedback.js';
import type { Logger } from 'pino';

/** `patrol serve` publishes a reviewer's "normal here"; the worker that analyzes the camera applies it. */
const quiet = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} } as unknown as Logger;
let redis: TestRedis;
const conns: Redis[] = [];
const connect = (): Redis => {
  const r = new Redis(redis.url, { maxRetriesPerRequest: 1, commandTimeout: 1_000 });
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

const notice = (cameraId: string, eventId: string): NormalHereNotice => ({ cameraId, eventId, boxes: [[0.1, 0.5, 0.3, 0.8]], by: 'li.na', at: Date.now() });

describe('normal-here over the fleet stream', () => {
  it('a worker applies notices for its cameras, ignores others, skips malformed ones, and never replays what came before it joined', async () => {
    const keys = fleetKeys('nh1');
    const pub = new NormalHerePublisher(connect(), keys);
    expect(await pub.normalHere(notice('cam-a', 'before-join'))).toBe('sent');
    const applied: string[] = [];
    const reader = new NormalHereReader(connect(), keys, (n) => (n.cameraId === 'cam-a' ? (applied.push(n.eventId), true) : false), quiet, 60_000);
    await reader.start();
    await pub.normalHere(notice('cam-a', 'e1'));
    await pub.normalHere(notice('cam-b', 'e2'));
    await connect().xadd(keys.normalHere, '*', 'notice', '{"cameraId":');
    await pub.normalHere(notice('cam-a', 'e3'));
    await reader.poll();
    expect(applied).toEqual(['e1', 'e3']);
    expect(reader.stats).toEqual({ applied: 2, ignored: 1, malformed: 1 });
    await reader.poll();
    expect(applied).toEqual(['e1', 'e3']);
    await reader.close();
  });

  it('keeps reading after Redis was down while it joined', async () => {
    const keys = fleetKeys('nh2');
    const applied: string[] = [];
    const down = new Redis('redis://127.0.0.1:1', { maxRetriesPerRequest: 0, lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null });
    down.on('error', () => {});
    conns.push(down);
    const broken = new NormalHereReader(down, keys, () => true, quiet, 60_000);
    await broken.start(); // resolves: the failure is logged, not thrown
    await broken.close();
    const reader = new NormalHereReader(connect(), keys, (n) => (applied.push(n.eventId), true), quiet, 50);
    await reader.start();
    await new NormalHerePublisher(connect(), keys).normalHere(notice('cam-a', 'later'));
    const t0 = Date.now();
    while (applied.length === 0 && Date.now() - t0 < 5_000) await new Promise((r) => setTimeout(r, 20));
    expect(applied).toEqual(['later']);
    await reader.close();
  });
});
