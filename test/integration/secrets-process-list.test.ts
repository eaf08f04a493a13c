/**
 * No camera secret in any process list: every process Patrol starts while it decodes an authenticated RTSP
 * camera (with its clip ring), cuts a clip, and serves a live view is read from /proc — its command line
 * and its environment — and none may hold the password. The camera is the real GStreamer RTSP server with
 * basic auth, so the frames that arrive prove the credentials did reach ffmpeg (through the pipe).
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCameraSource, type CameraSource } from '../../src/ingest/camera-source.js';
import { LiveView } from '../../src/review/live-view.js';
import { cutClip } from '../../src/evidence/clip-cut.js';
import { readRing } from '../../src/evidence/clip-ring.js';
import { resolveFfmpeg } from '../../src/decode/ffmpeg-path.js';
import type { CameraConfig } from '../../src/config/schema.js';
import { testClip, type TestClip } from '../support/clip.js';
import { TestRtspServer } from '../../support/rtsp.js';
import { REPO } from '../../support/fixture-video.js';
import { PATROL_DET_MANIFEST } from '../support/test-model.js';

const PASSWORD = 'Zq8-unguessable-Pw';
const USER = 'patrolcam';
const ENV_SECRET = 'env-only-Kx71-secret';
const onLinux = process.platform === 'linux';
if (!onLinux) console.warn('[secrets-process-list] skipped: needs /proc (Linux)');

interface Seen {
  pid: number;
  cmdline: string;
  environ: string;
}

function readProc(pid: number, file: string): string {
  try {
    return readFileSync(`/proc/${pid}/${file}`).toString('utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/** Whether `pid` descends from `ancestor`, by the parent links the sampler recorded (exited processes included). */
function isUnder(pid: number, ancestor: number): boolean {
  for (let cur = parents.get(pid), hops = 0; cur !== undefined && hops < 64; cur = parents.get(cur), hops++) if (cur === ancestor) return true;
  return false;
}

/** Parent of every process seen by the sampler (processes that exited are gone from /proc). */
const parents = new Map<number, number>();

/** Every live descendant of this process, except the RTSP test server's own tree (a stand-in camera). */
function descendants(): Seen[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readProc(Number(name), 'stat');
    const m = /\) \S (\d+)/.exec(stat);
    if (m) {
      parent.set(Number(name), Number(m[1]));
      parents.set(Number(name), Number(m[1]));
    }
  }
  const out: Seen[] = [];
  for (const pid of parent.keys()) {
    let mine = false;
    let camera = false;
    for (let cur = parent.get(pid), hops = 0; cur !== undefined && cur > 1 && hops < 64; cur = parent.get(cur), hops++) {
      if (cur === process.pid) {
        mine = true;
        break;
      }
      if (readProc(cur, 'cmdline').includes('rtsp-server.py')) camera = true;
    }
    if (readProc(pid, 'cmdline').includes('rtsp-server.py')) camera = true;
    const cmdline = readProc(pid, 'cmdline');
    // Between fork and exec a child is a copy of its parent (same command line, same environment, same
    // owner); only what it runs after exec is its own.
    if (cmdline === readProc(parent.get(pid)!, 'cmdline')) continue;
    if (mine && !camera) out.push({ pid, cmdline, environ: readProc(pid, 'environ') });
  }
  return out;
}

describe.skipIf(!onLinux)('camera secrets stay out of process lists', () => {
  let clip: TestClip;
  let server: TestRtspServer;
  let dir: string;
  const seen = new Map<string, Seen>();
  let sampler: NodeJS.Timeout | undefined;

  beforeAll(async () => {
    clip = await testClip();
    server = await TestRtspServer.start({ mounts: ['cam'], clip: clip.ts, auth: `${USER}:${PASSWORD}` });
    dir = await mkdtemp(join(tmpdir(), 'patrol-secrets-'));
    // A secret in Patrol's own environment (as `${CAM_PASS}` in a config would be) must not be inherited.
    process.env.PATROL_TEST_CAM_PASS = ENV_SECRET;
    sampler = setInterval(() => {
      for (const s of descendants()) seen.set(`${s.pid}:${s.cmdline}`, s);
    }, 50);
  }, 60_000);

  afterAll(async () => {
    clearInterval(sampler);
    delete process.env.PATROL_TEST_CAM_PASS;
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('decodes, cuts a clip and serves a live view with the password in no cmdline or environ', async () => {
    const url = server.url('cam', `${USER}:${PASSWORD}`);
    const ffmpeg = resolveFfmpeg();
    const frames: unknown[] = [];
    const ringDir = join(dir, 'ring');
    const source: CameraSource = createCameraSource(
      // The camera's own ffmpeg is the process whose command line must not show the password.
      { id: 'secure', url, loop: false, intervalSec: 1, decode: 'keyframe', transport: 'ffmpeg' },
      { width: 320, height: 320, pixelFormat: 'rgb24', ffmpeg, analyzeDurationMs: 1_000, ring: { dir: ringDir, seconds: 20 } },
    );
    source.onFrame((f) => void frames.push(f));
    source.start();
    const live = new LiveView({
      cameras: [{ id: 'secure', name: 'secure', url, enabled: true, loop: false, zones: [], violations: ['stall'], intervalSec: 5, decode: 'keyframe' } as CameraConfig],
      ffmpegPath: ffmpeg.path,
      width: 320,
      startTimeoutMs: 20_000,
    });
    try {
      const lease = await live.acquire('secure');
      expect(lease.path).toMatch(/^\/[0-9a-f]{64}$/);
      const t0 = Date.now();
      while (frames.length < 3 || (await readRing(ringDir)).length < 2) {
        if (Date.now() - t0 > 40_000) throw new Error(`no frames/ring from the authenticated camera: ${JSON.stringify(source.status)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const segments = await readRing(ringDir);
      const cut = await cutClip({ ringDir, fromMs: segments[0]!.startMs, toMs: segments.at(-1)!.endMs, outPath: join(dir, 'clip.mp4'), ffmpeg });
      expect(cut.bytes).toBeGreaterThan(0);
      lease.release();
    } finally {
      await source.stop();
      await live.close();
    }

    const ffmpegs = [...seen.values()].filter((s) => s.cmdline.includes('ffmpeg'));
    // The decoder, the live view's transcoder and the clip cutter were all caught while running.
    expect(ffmpegs.some((s) => s.cmdline.includes('pipe:1') && s.cmdline.includes('-f concat'))).toBe(true);
    expect(ffmpegs.some((s) => s.cmdline.includes('mpeg1video'))).toBe(true);
    expect(seen.size).toBeGreaterThanOrEqual(2);
    for (const s of seen.values()) {
      for (const secret of [PASSWORD, ENV_SECRET, `${USER}:`]) {
        expect(s.cmdline, `pid ${s.pid} cmdline`).not.toContain(secret);
        expect(s.environ, `pid ${s.pid} environ (${s.cmdline.slice(0, 160)})`).not.toContain(secret);
      }
    }
  }, 90_000);

  it('the default transport (the in-process client): frames arrive, and the shared decoder holds no secret', async () => {
    const before = new Set(seen.keys());
    const source: CameraSource = createCameraSource(
      { id: 'secure-native', url: server.url('cam', `${USER}:${PASSWORD}`), loop: false, intervalSec: 1, decode: 'keyframe' },
      { width: 320, height: 320, pixelFormat: 'rgb24' },
    );
    const frames: unknown[] = [];
    source.onFrame((f) => void frames.push(f));
    source.start();
    try {
      const t0 = Date.now();
      while (frames.length < 2) {
        if (Date.now() - t0 > 40_000) throw new Error(`no frames from the authenticated camera: ${JSON.stringify(source.status)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(source.pid).toBeUndefined();
    } finally {
      await source.stop();
    }
    const started = [...seen.entries()].filter(([k]) => !before.has(k)).map(([, s]) => s);
    // The decoder was caught while running; it is fed keyframes on stdin and never sees the camera's URL.
    expect(started.some((s) => s.cmdline.includes('ffmpeg') && s.cmdline.includes('pipe:0'))).toBe(true);
    for (const s of started) {
      for (const secret of [PASSWORD, ENV_SECRET, `${USER}:`]) {
        expect(s.cmdline, `pid ${s.pid} cmdline`).not.toContain(secret);
        expect(s.environ, `pid ${s.pid} environ (${s.cmdline.slice(0, 160)})`).not.toContain(secret);
      }
    }
  }, 90_000);

  it('a whole `patrol run` (credentials from ${ENV} in the config, live view opened): no child holds them; storage is owner-only', async () => {
    const storage = join(dir, 'run-var');
    const config = join(dir, 'run.yaml');
    writeFileSync(
      config,
      // transport: ffmpeg, so the camera's own ffmpeg (which reads the URL from a pipe) and its ring are there to check.
      `cameras:\n  - { id: secure, url: 'rtsp://\${CAM_USER}:\${CAM_PASS}@127.0.0.1:${server.port}/cam', transport: ffmpeg, intervalSec: 2, decode: keyframe, violations: [stall] }\n` +
        `detector:\n  manifest: ${PATROL_DET_MANIFEST}\nstorage:\n  dir: ${storage}\nfleet:\n  rtspAnalyzeDurationSec: 1\n`,
    );
    const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'run', '--config', config], {
      cwd: REPO,
      env: { ...process.env, CAM_USER: USER, CAM_PASS: PASSWORD, PATROL_PORT: '0', PATROL_METRICS_PORT: 'off', PATROL_ADMIN_PASSWORD: 'secrets-test-admin-pw' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: string[] = [];
    proc.stdout.on('data', (d: Buffer) => out.push(d.toString()));
    proc.stderr.on('data', (d: Buffer) => out.push(d.toString()));
    const exited = new Promise((r) => proc.once('exit', r));
    const wait = async <T>(what: string, get: () => Promise<T | undefined> | T | undefined, ms = 60_000): Promise<T> => {
      const end = Date.now() + ms;
      for (;;) {
        const v = await get();
        if (v !== undefined) return v;
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${out.join('').slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    };
    try {
      const base = await wait('the review URL', () => /Review UI: (http:\/\/\S+?)\/?\n/.exec(out.join(''))?.[1]);
      const login = await fetch(`${base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'secrets-test-admin-pw' }) });
      const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
      await wait('the camera live', async () => {
        const cams = ((await (await fetch(`${base}/api/cameras`, { headers: { cookie } })).json()) as { cameras: Array<{ state: string }> }).cameras;
        return cams[0]?.state === 'live' ? true : undefined;
      });
      // Open the live view (a second ffmpeg), read a little of it, close it.
      const got = await new Promise<number>((resolve, reject) => {
        const req = request(`${base}/api/cameras/secure/live`, {
          headers: { cookie, connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': randomBytes(16).toString('base64') },
        });
        req.on('upgrade', (_res, socket) => {
          let bytes = 0;
          socket.on('data', (d: Buffer) => {
            bytes += d.length;
            if (bytes > 20_000) {
              socket.destroy();
              resolve(bytes);
            }
          });
        });
        req.on('response', (res) => reject(new Error(`live view answered ${res.statusCode}`)));
        req.on('error', reject);
        req.end();
      });
      expect(got).toBeGreaterThan(20_000);
      const runPid = proc.pid!;
      const mine = [...seen.values()].filter((s) => isUnder(s.pid, runPid));
      expect(mine.some((s) => s.cmdline.includes('pipe:1') && s.cmdline.includes('pipe:3'))).toBe(true);
      expect(mine.some((s) => s.cmdline.includes('mpeg1video'))).toBe(true);
      // Patrol itself was started with the secret in its environment (the operator's choice, as readable
      // as the config file); its command line names only the config file.
      expect(readProc(runPid, 'cmdline')).not.toContain(PASSWORD);
      for (const s of mine) {
        expect(s.cmdline, `pid ${s.pid} cmdline`).not.toContain(PASSWORD);
        // tsx compiles Patrol's TypeScript through esbuild's long-lived `--service` child, started before Patrol
        // runs a line of its own (so before it could scrub anything), with Node's environment. /proc/PID/environ
        // is readable by the owner only, so it shows nothing to other users; its command line is checked above.
        if (/esbuild --service/.test(s.cmdline)) continue;
        expect(s.environ, `pid ${s.pid} environ (${s.cmdline.slice(0, 160)})`).not.toContain(PASSWORD);
      }
      // Everything Patrol and its ffmpegs wrote under the storage dir is owner-only.
      const walk = (p: string): Array<{ path: string; mode: number; dir: boolean }> => {
        const st = statSync(p);
        const self = { path: p, mode: st.mode & 0o777, dir: st.isDirectory() };
        return st.isDirectory() ? [self, ...readdirSync(p).flatMap((n) => walk(join(p, n)))] : [self];
      };
      const entries = walk(storage);
      expect(entries.some((e) => e.path.endsWith('review.db'))).toBe(true);
      expect(entries.some((e) => /ring/.test(e.path) && e.path.endsWith('.ts'))).toBe(true);
      for (const e of entries) expect([e.path, e.mode.toString(8)]).toEqual([e.path, e.dir ? '700' : '600']);
    } finally {
      proc.kill('SIGTERM');
      await exited;
    }
  }, 150_000);
});
