import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TourVisitReport } from '../../src/contracts/camera-status.js';
import { KeyframeDecoderPool } from '../../src/decode/decoder-pool.js';
import { resolveFfmpeg } from '../../src/decode/ffmpeg-path.js';
import { RtspSession, type RtspSessionOptions } from '../../src/ingest/rtsp/session.js';
import type { SessionLike } from '../../src/ingest/rtsp-supervisor.js';
import { TourRunner, type TourSink } from '../../src/ingest/tour-runner.js';
import { TOUR_DEFAULTS } from '../../src/config/schema.js';
import { CameraFarm } from '../../support/camera-farm/farm-process.js';

// The farm encodes its pictures with ffmpeg (libx264); the visits' keyframes are decoded by the ffmpeg pool.
const ffmpeg = resolveFfmpeg().path;
const MOUNTS = 50;
const SIZE = { width: 416, height: 416, pixelFormat: 'bgr24' } as const;

async function until(what: string, cond: () => boolean, timeoutMs: number, detail: () => unknown): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}\n${JSON.stringify(detail(), null, 1)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

let farm: CameraFarm;
const pool = new KeyframeDecoderPool({ ffmpegPath: ffmpeg, ...SIZE });

beforeAll(async () => {
  // 704×576 at 25 fps, a keyframe every 2 s (the patrol profile), two GOPs looped.
  farm = await CameraFarm.start({ mounts: MOUNTS, loopSec: 4 });
}, 120_000);

afterAll(async () => {
  await farm?.stop();
  await pool.close();
});

describe('camera farm: one RTSP server process with many live mounts', () => {
  it(`a TourRunner with the default slots visits all ${MOUNTS} mounts: every camera a decoded frame, each visit joining the live stream mid-GOP`, async () => {
    const frames = new Map<string, number>();
    const downs: string[] = [];
    const visits: TourVisitReport[] = [];
    /** Whether each session's first access unit was a keyframe (a live camera is mid-GOP most of the time). */
    const firstWasKey: boolean[] = [];
    const conn = { open: 0, max: 0 };
    const runner = new TourRunner({
      pool,
      maxVisits: TOUR_DEFAULTS.maxVisits,
      visitTimeoutMs: 20_000,
      missTolerance: TOUR_DEFAULTS.missTolerance,
      onVisit: (v) => visits.push(v),
      createSession: (o: RtspSessionOptions, log): SessionLike => {
        const s = new RtspSession(o, log);
        conn.max = Math.max(conn.max, ++conn.open);
        s.on('state', (st) => st === 'closed' && conn.open--);
        let first = true;
        s.on('accessUnit', (au) => {
          if (first) firstWasKey.push(au.keyframe);
          first = false;
        });
        return s;
      },
    });
    try {
      for (let k = 1; k <= MOUNTS; k++) {
        const id = `cam${k}`;
        const sink: TourSink = {
          frame: (f) => {
            expect(f.decoded.data.length).toBe(SIZE.width * SIZE.height * 3);
            frames.set(id, (frames.get(id) ?? 0) + 1);
          },
          down: (d) => downs.push(`${id}: ${d.reason}`),
        };
        runner.add({ id, url: farm.url(k), tour: { revisitSec: 600, priority: 1, hours: [] } }, sink);
      }
      await until(`a frame from each of ${MOUNTS} cameras`, () => frames.size === MOUNTS, 30_000, () => ({ seen: frames.size, downs: downs.slice(0, 5), visits: visits.length }));
    } finally {
      await runner.close();
    }
    expect(downs).toEqual([]);
    expect(visits.filter((v) => v.ok)).toHaveLength(MOUNTS);
    const stats = await farm.stats();
    expect(stats).toMatchObject({ notFound: 0, slowReaders: 0 });
    expect(stats.plays).toBeGreaterThanOrEqual(MOUNTS);
    expect(stats.teardowns).toBeGreaterThanOrEqual(MOUNTS);
    // Never more sessions at once than the tour's slots (the server may count a closing one a moment longer).
    expect(conn.max).toBeLessThanOrEqual(TOUR_DEFAULTS.maxVisits);
    // Mounts are spread over the GOP: a visit lands on a keyframe about one time in 50, so most waited for one.
    expect(firstWasKey.length).toBeGreaterThanOrEqual(MOUNTS);
    expect(firstWasKey.filter((k) => !k).length).toBeGreaterThan(MOUNTS / 2);
  }, 60_000);

  it('a mount that does not exist is a 404, which the tour reports as permanent', async () => {
    const down = new Promise<{ permanent: boolean; reason: string }>((resolve) => {
      const runner = new TourRunner({ pool, maxVisits: 1, visitTimeoutMs: 20_000, missTolerance: 0.5 });
      runner.add({ id: 'missing', url: farm.url(MOUNTS + 1), tour: { revisitSec: 600, priority: 1, hours: [] } }, {
        frame: () => undefined,
        down: (d) => {
          resolve(d);
          void runner.close();
        },
      });
    });
    const d = await down;
    expect(d.permanent).toBe(true);
    expect(d.reason).toMatch(/404/);
  }, 30_000);

  it('a farm that cannot start says why', async () => {
    await expect(CameraFarm.start({ mounts: 0 })).rejects.toThrow(/camera farm \(RTSP server, 0 mounts\) did not start: exited with 1 — camera farm: --mounts must be at least 1/);
  }, 60_000);

  it('ends when the process that started it dies, however it dies (SIGKILL)', async () => {
    const script = `import { CameraFarm } from ${JSON.stringify(join(import.meta.dirname, '../../support/camera-farm/farm-process.ts'))};
      const f = await CameraFarm.start({ mounts: 1, loopSec: 2, width: 176, height: 144 });
      console.log('FARM ' + f.pid);
      setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: join(import.meta.dirname, '../..'), stdio: ['ignore', 'pipe', 'inherit'] });
    const pid = await new Promise<number>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('the parent never reported its farm')), 60_000);
      createInterface({ input: parent.stdout! }).on('line', (l) => {
        if (!l.startsWith('FARM ')) return;
        clearTimeout(t);
        resolve(Number(l.slice(5)));
      });
    });
    try {
      expect(existsSync(`/proc/${pid}`)).toBe(true);
      parent.kill('SIGKILL');
      await until('the farm to exit after its parent was killed', () => !existsSync(`/proc/${pid}`) || isZombie(pid), 15_000, () => ({ pid }));
    } finally {
      // Left running only if the test failed: do not leak it into the rest of the run.
      if (!isZombie(pid)) process.kill(pid, 'SIGKILL');
    }
  }, 90_000);
});

/** An exited child not yet reaped by its (dead) parent's reaper still has a /proc entry, in state Z. */
function isZombie(pid: number): boolean {
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}
