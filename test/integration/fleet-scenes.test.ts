import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { TestRedis } from '../../support/redis.js';
import { fleetKeys } from '../../src/fleet/keys.js';
import { RedisScenes } from '../../src/fleet/redis-scenes.js';
import { sceneStep, type SceneState } from '../../src/scene/model.js';
import { render } from '../unit/scene-synthetic.js';
import type { Log } from '../../src/log/log.js';

/** A camera's scene model follows it to the next worker through Redis; only the lease holder writes it. */
const quiet: Log = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} };
let redis: TestRedis;
let conn: Redis;

beforeAll(async () => {
  redis = await TestRedis.start();
  conn = new Redis(redis.url, { maxRetriesPerRequest: 1 });
});
afterAll(async () => {
  conn?.disconnect();
  await redis?.stop();
});

function someScene(): SceneState {
  let s: SceneState | null = null;
  for (let i = 0; i < 5; i++) s = sceneStep(s, { pixels: render([], {}, 4, i), t: 1_000 + i * 2_000, boxes: [] }).state;
  return s!;
}

describe('scene models in Redis', () => {
  it('saved by the lease holder, prefetched and loaded by the next owner, byte for byte', async () => {
    const keys = fleetKeys('sc1');
    await conn.set(keys.lease('cam1'), 'w1:7');
    const a = new RedisScenes(conn, keys, () => 'w1:7', quiet);
    const state = someScene();
    a.save('cam1', state);
    await a.flush('cam1');
    expect(a.refused + a.failed).toBe(0);
    const ttl = await conn.pttl(keys.scene('cam1'));
    expect(ttl).toBeGreaterThan(0);
    const b = new RedisScenes(conn, keys, () => 'w2:8', quiet);
    await b.prefetch('cam1');
    const loaded = b.load('cam1')!;
    expect(loaded.grid).toEqual(state.grid);
    expect(Buffer.from(loaded.ref.buffer, loaded.ref.byteOffset, loaded.ref.byteLength).equals(Buffer.from(state.ref.buffer, state.ref.byteOffset, state.ref.byteLength))).toBe(true);
    expect(b.load('cam1')).toBeUndefined(); // handed over once
  });

  it("a worker that lost the lease cannot overwrite the new owner's model", async () => {
    const keys = fleetKeys('sc2');
    await conn.set(keys.lease('cam1'), 'w2:9');
    const stale = new RedisScenes(conn, keys, () => 'w1:8', quiet);
    stale.save('cam1', someScene());
    await stale.flush();
    expect(stale.refused).toBe(1);
    expect(await conn.exists(keys.scene('cam1'))).toBe(0);
  });

  it('garbage under the key is ignored: the camera starts a new baseline', async () => {
    const keys = fleetKeys('sc3');
    await conn.set(keys.scene('cam1'), 'not a scene');
    const s = new RedisScenes(conn, keys, () => undefined, quiet);
    await s.prefetch('cam1');
    expect(s.load('cam1')).toBeUndefined();
  });
});
