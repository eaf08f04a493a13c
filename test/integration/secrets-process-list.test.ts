/**
 * No camera secret in any process list: every process Patrol starts while it decodes an authenticated RTSP
 * camera (with its clip ring), cuts a clip, and serves a live view is read from /proc — its command line
 * and its environment — and none may hold the password. The camera is the real GStreamer RTSP server with
 * basic auth, so the frames that arrive prove the credentials did reach ffmpeg (through the pipe).
 */
import { readdirSync, readFileSync } from 'node:fs';
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

/** Every live descendant of this process, except the RTSP test server's own tree (a stand-in camera). */
function descendants(): Seen[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readProc(Number(name), 'stat');
    const m = /\) \S (\d+)/.exec(stat);
    if (m) parent.set(Number(name), Number(m[1]));
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
    if (mine && !camera) out.push({ pid, cmdline: readProc(pid, 'cmdline'), environ: readProc(pid, 'environ') });
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
      { id: 'secure', url, loop: false, intervalSec: 1, decode: 'keyframe' },
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
        expect(s.environ, `pid ${s.pid} environ`).not.toContain(secret);
      }
    }
  }, 90_000);
});
