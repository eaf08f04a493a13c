import { execFileSync, spawn, type ChildProcessByStdio } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveFfmpeg } from '../../src/decode/ffmpeg-path.js';
import { REPO } from '../../support/fixture-video.js';
import { TestRedis } from '../../support/redis.js';
import { testClip } from '../support/clip.js';
import { PATROL_DET_MANIFEST } from '../support/test-model.js';

/**
 * The fleet's true state through `patrol serve`'s API: two `patrol worker` processes and one `patrol serve`
 * on a real redis-server. Three looping file cameras, one of them black (a covered lens). The Cameras API
 * must show each camera live, which worker holds it, since when, its last frame and fps, and the dark
 * camera's open `dark` alert with its start time (also in /api/alerts). Then one worker is SIGKILLed: its
 * cameras must show up under the other worker — the owners are the real ones, not a guess.
 */
const PREFIX = 'state-test';
const TTL_SEC = 4;

interface Proc {
  name: string;
  proc: ChildProcessByStdio<null, Readable, Readable>;
  out: string[];
  exited: Promise<unknown>;
}

interface CameraJson {
  id: string;
  state: string;
  worker?: string;
  since?: number;
  lastFrameAt?: number;
  fps?: number;
  alerts: Array<{ check: string; since: number }>;
  updatedAt?: number;
}

async function until<T>(what: string, get: () => Promise<T | undefined>, timeoutMs: number, procs: Proc[] = []): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await get();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) {
      const tails = procs.map((p) => `--- ${p.name} ---\n${p.out.slice(-15).join('\n')}`).join('\n');
      throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what} (${String(last ?? '')})\n${tails}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe('fleet camera state in patrol serve', () => {
  let redis: TestRedis;
  let dir: string;
  let configFile: string;
  const procs: Proc[] = [];

  beforeAll(async () => {
    redis = await TestRedis.start();
    const clip = await testClip();
    dir = mkdtempSync(join(tmpdir(), 'patrol-state-'));
    const dark = join(dir, 'dark.mp4');
    execFileSync(resolveFfmpeg().path, ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'color=c=0x080808:s=352x288:r=25,noise=alls=4:allf=t', '-t', '8', '-c:v', 'libx264', '-g', '25', '-pix_fmt', 'yuv420p', '-y', dark]);
    const cam = (id: string, path: string) => `  - { id: ${id}, url: 'file://${path}', loop: true, intervalSec: 1, decode: keyframe, violations: [stall] }`;
    configFile = join(dir, 'fleet.yaml');
    writeFileSync(
      configFile,
      `cameras:\n${[cam('gate-a', clip.mp4), cam('gate-b', clip.mp4), cam('covered', dark)].join('\n')}\n` +
        `detector:\n  manifest: ${PATROL_DET_MANIFEST}\nstorage:\n  dir: ${join(dir, 'var')}\nqueue:\n  name: state-test-events\n` +
        `fleet:\n  keyPrefix: ${PREFIX}\n  leaseTtlSec: ${TTL_SEC}\n  heartbeatSec: 1\n`,
    );
  }, 60_000);

  afterAll(async () => {
    for (const p of procs) if (p.proc.exitCode === null && p.proc.signalCode === null) p.proc.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  function start(name: string, command: 'worker' | 'serve' | 'run', env: Record<string, string>): Proc {
    const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', command, '--config', configFile], {
      cwd: REPO,
      env: { ...process.env, REDIS_URL: redis.url, PATROL_METRICS_PORT: '0', PATROL_LOG_LEVEL: 'info', PATROL_STORAGE_DIR: join(dir, name), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: string[] = [];
    const keep = (d: Buffer) => {
      out.push(...d.toString().split('\n').filter((l) => l.trim()));
      if (out.length > 2000) out.splice(0, out.length - 2000);
    };
    proc.stdout.on('data', keep);
    proc.stderr.on('data', keep);
    const p = { name, proc, out, exited: new Promise((r) => proc.once('exit', r)) };
    procs.push(p);
    return p;
  }

  it('shows state, owner, since, last frame, fps and open health alerts; a killed worker’s cameras move to the other', async () => {
    const w1 = start('w1', 'worker', { PATROL_WORKER_ID: 'w1' });
    start('w2', 'worker', { PATROL_WORKER_ID: 'w2' });
    const serve = start('serve', 'serve', { PATROL_PORT: '0', PATROL_ADMIN_PASSWORD: 'serve-admin-passphrase' });
    const base = await until('serve prints its URL', async () => serve.out.map((l) => /Review UI: (http:\/\/\S+?)\/?$/.exec(l)?.[1]).find(Boolean), 60_000, procs);
    const login = await fetch(`${base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'serve-admin-passphrase' }) });
    expect(login.status).toBe(200);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const cameras = async () => ((await (await fetch(`${base}/api/cameras`, { headers: { cookie } })).json()) as { cameras: CameraJson[] }).cameras;

    const steady = await until(
      'all three cameras live with fps, split over both workers, and the covered one dark',
      async () => {
        const cams = await cameras();
        const ok = cams.every((c) => c.state === 'live' && c.worker && (c.fps ?? 0) > 0 && c.lastFrameAt) && new Set(cams.map((c) => c.worker)).size === 2;
        const covered = cams.find((c) => c.id === 'covered');
        return ok && covered?.alerts.some((a) => a.check === 'dark') ? cams : undefined;
      },
      120_000,
      procs,
    );
    const now = Date.now();
    for (const c of steady) {
      expect(['w1', 'w2']).toContain(c.worker);
      expect(c.since).toBeLessThanOrEqual(now);
      expect(now - c.lastFrameAt!).toBeLessThan(15_000);
      expect(now - c.updatedAt!).toBeLessThan(TTL_SEC * 1000 + 2_000);
    }
    const covered = steady.find((c) => c.id === 'covered')!;
    const darkSince = covered.alerts.find((a) => a.check === 'dark')!.since;
    expect(darkSince).toBeGreaterThanOrEqual(covered.since!);
    expect(steady.filter((c) => c.id !== 'covered').every((c) => !c.alerts.some((a) => a.check === 'dark'))).toBe(true);
    const alerts = (await (await fetch(`${base}/api/alerts`, { headers: { cookie } })).json()) as { alerts: Array<{ cameraId: string; check: string; since: number; worker?: string }> };
    expect(alerts.alerts).toContainEqual(expect.objectContaining({ cameraId: 'covered', check: 'dark', since: darkSince, worker: covered.worker }));

    // Kill w1: everything it held must be reported under w2 (after the lease TTL), live again.
    const heldByW1 = steady.filter((c) => c.worker === 'w1').map((c) => c.id);
    expect(heldByW1.length).toBeGreaterThan(0);
    w1.proc.kill('SIGKILL');
    await w1.exited;
    const after = await until(
      `w1's cameras (${heldByW1.join(', ')}) live under w2`,
      async () => {
        const cams = await cameras();
        return cams.every((c) => c.worker === 'w2' && c.state === 'live') ? cams : undefined;
      },
      60_000,
      procs,
    );
    for (const id of heldByW1) expect(after.find((c) => c.id === id)!.since!).toBeGreaterThan(steady.find((c) => c.id === id)!.since!);
  }, 240_000);

  it('single process (`patrol run`): the same fields from the process itself', async () => {
    const run = start('run', 'run', { REDIS_URL: '', PATROL_PORT: '0', PATROL_ADMIN_PASSWORD: 'run-admin-passphrase' });
    const base = await until('run prints its URL', async () => run.out.map((l) => /Review UI: (http:\/\/\S+?)\/?$/.exec(l)?.[1]).find(Boolean), 60_000, [run]);
    const login = await fetch(`${base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'run-admin-passphrase' }) });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const cams = await until(
      'cameras live with fps and the dark alert',
      async () => {
        const list = ((await (await fetch(`${base}/api/cameras`, { headers: { cookie } })).json()) as { cameras: CameraJson[] }).cameras;
        const ok = list.every((c) => c.state === 'live' && (c.fps ?? 0) > 0 && c.since && c.lastFrameAt);
        return ok && list.find((c) => c.id === 'covered')?.alerts.some((a) => a.check === 'dark') ? list : undefined;
      },
      90_000,
      [run],
    );
    expect(new Set(cams.map((c) => c.worker)).size).toBe(1);
    expect(cams[0]!.worker).toMatch(/-\d+$/);
    run.proc.kill('SIGTERM');
    await run.exited;
  }, 150_000);
});
