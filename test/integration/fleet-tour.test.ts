import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { createLogger } from '../../src/log/logger.js';
import { startWorker, type FleetWorker } from '../../src/pipeline/worker.js';
import { TestRedis } from '../../support/redis.js';
import { TestRtspServer } from '../../support/rtsp.js';
import { testClip } from '../support/clip.js';
import { PATROL_DET_MANIFEST } from '../support/test-model.js';

/**
 * Toured cameras under fleet leases, unchanged: two in-process workers share four toured cameras, each tours only
 * the cameras it leases (its own TourRunner and visit slots), and when one leaves the other tours them all.
 */
const MOUNTS = ['f1', 'f2', 'f3', 'f4'];

async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const visitsOf = async (w: FleetWorker, camera: string): Promise<number> => {
  const line = (await w.observability.metrics.text()).split('\n').find((l) => l.startsWith(`patrol_tour_visits_total{camera="${camera}",result="ok"`));
  return line ? Number(line.split(' ').at(-1)) : 0;
};

describe('fleet workers tour the cameras they lease', () => {
  let redis: TestRedis;
  let server: TestRtspServer;
  let dir: string;
  const workers: FleetWorker[] = [];

  beforeAll(async () => {
    redis = await TestRedis.start();
    server = await TestRtspServer.start({ mounts: MOUNTS, clip: (await testClip()).ts });
    dir = mkdtempSync(join(tmpdir(), 'patrol-fleet-tour-'));
  }, 60_000);
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await server?.stop();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('splits the toured cameras between the workers, and the survivor tours them all', async () => {
    const cams = MOUNTS.map((m) => `  - { id: tour-${m}, url: '${server.url(m)}', transport: native, intervalSec: 1, violations: [stall], scene: false, tour: { revisitSec: 3 } }`);
    const config = (name: string) =>
      parseConfig(
        `cameras:\n${cams.join('\n')}\ndetector:\n  manifest: ${PATROL_DET_MANIFEST}\nstorage:\n  dir: ${join(dir, name)}\nqueue:\n  name: fleet-tour-events\n` +
          `fleet:\n  keyPrefix: fleet-tour\n  leaseTtlSec: 4\n  heartbeatSec: 1\ntour:\n  maxVisits: 2\n`,
        join(dir, 'fleet.yaml'),
        {},
      );
    const logger = createLogger({ level: 'warn', pretty: false });
    const env = { PATROL_METRICS_PORT: '0' };
    const a = await startWorker({ config: config('a'), logger, workerId: 'tour-a', redisUrl: redis.url, env });
    workers.push(a);
    const b = await startWorker({ config: config('b'), logger, workerId: 'tour-b', redisUrl: redis.url, env });
    workers.push(b);
    const ids = MOUNTS.map((m) => `tour-${m}`);
    await until('each worker holds two cameras', () => a.pipeline.cameraIds().length === 2 && b.pipeline.cameraIds().length === 2, 30_000);
    await until('every camera visited twice by its owner', async () => {
      for (const id of ids) {
        const owner = a.pipeline.cameraIds().includes(id) ? a : b;
        if ((await visitsOf(owner, id)) < 2) return false;
      }
      return true;
    }, 40_000);
    for (const id of ids) {
      const [owner, other] = a.pipeline.cameraIds().includes(id) ? [a, b] : [b, a];
      expect(await visitsOf(other, id)).toBe(0);
      const s = owner.pipeline.statuses().find((x) => x.cameraId === id)!;
      expect(s.state).toBe('live');
      expect(s.tour).toMatchObject({ revisitSec: 3, held: false });
    }

    // One worker leaves: the other leases its cameras and tours all four with its two visit slots.
    const gone = a.pipeline.cameraIds();
    await a.stop();
    workers.splice(workers.indexOf(a), 1);
    await until('the survivor holds all four', () => b.pipeline.cameraIds().length === 4, 30_000);
    await until('the moved cameras are visited by the survivor', async () => {
      for (const id of gone) if ((await visitsOf(b, id)) < 1) return false;
      return true;
    }, 30_000);
  }, 150_000);
});
