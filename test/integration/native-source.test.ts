import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCameraSource, type CameraSource, type CameraSourceConfig, type CameraSourceOptions } from '../../src/ingest/camera-source.js';
import { KeyframeDecoderPool } from '../../src/decode/decoder-pool.js';
import { resolveFfmpeg } from '../../src/decode/ffmpeg-path.js';
import type { Frame } from '../../src/contracts/frame.js';
import type { SourceStatus } from '../../src/contracts/camera-status.js';
import type { Log } from '../../src/log/log.js';
import { testClip, type TestClip } from '../support/clip.js';
import { TestRtspServer } from '../../support/rtsp.js';

const run = promisify(execFile);
const ffmpeg = resolveFfmpeg().path;
const SIZE = { width: 416, height: 416, pixelFormat: 'bgr24' } as const;
const FAST: Partial<CameraSourceOptions> = { backoff: { baseMs: 200, maxMs: 1_000, jitter: 0.2 }, socketTimeoutMs: 3_000, watchdogMs: 10_000 };

interface Watched {
  source: CameraSource;
  frames: Frame[];
  statuses: SourceStatus[];
  statusTimes: number[];
  logs: string[];
}

const sources: CameraSource[] = [];
function watch(cam: CameraSourceConfig, opts: Partial<CameraSourceOptions> = {}): Watched {
  const logs: string[] = [];
  const record = (level: string) => (obj: object, msg?: string): void => void logs.push(`${level} ${msg ?? ''} ${JSON.stringify(obj)}`);
  const logger: Log = { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
  const source = createCameraSource(cam, { ...SIZE, ...FAST, logger, ...opts });
  sources.push(source);
  const w: Watched = { source, frames: [], statuses: [], statusTimes: [], logs };
  source.onFrame((f) => void w.frames.push(f));
  source.onStatus((s) => {
    w.statuses.push(s);
    w.statusTimes.push(Date.now());
  });
  source.start();
  return w;
}

function nativeCamera(id: string, url: string, intervalSec = 2): CameraSourceConfig {
  return { id, url, loop: false, intervalSec, decode: 'keyframe', transport: 'native' };
}

async function until(what: string, cond: () => boolean, timeoutMs = 20_000, seen?: Watched): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}${seen ? `\nstatuses: ${JSON.stringify(seen.statuses)}\nlogs:\n${seen.logs.join('\n')}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The frame is a real picture: grey 114 padding below the content, varied pixels inside it. */
function expectLetterboxed(f: Frame, content: [number, number]): void {
  expect(f.data.length).toBe(416 * 416 * 3);
  expect([f.width, f.height, f.contentWidth, f.contentHeight]).toEqual([416, 416, ...content]);
  const padRow = (f.height - 1) * f.width * 3;
  expect([...f.data.subarray(padRow, padRow + 30)].every((b) => b === 114)).toBe(true);
  const inside = f.data.subarray(0, f.contentHeight * f.width * 3);
  expect(new Set(inside).size).toBeGreaterThan(50);
}

let clip: TestClip;
let server: TestRtspServer;
const pool = new KeyframeDecoderPool({ ffmpegPath: ffmpeg, ...SIZE });

beforeAll(async () => {
  clip = await testClip();
  server = await TestRtspServer.start({ mounts: ['cam1', 'cam2'], clip: clip.ts });
});

afterAll(async () => {
  await Promise.all(sources.map((s) => s.stop()));
  await pool.close();
  await server?.stop();
});

describe('native camera source (in-process RTSP client + shared decoder pool) against GStreamer', () => {
  it('H.264: letterboxed frames of the detector size, one per interval, stamped with the wall clock', async () => {
    const w = watch(nativeCamera('native-a', server.url('cam1'), 3), { decoderPool: pool });
    await until('four frames', () => w.frames.length >= 4, 30_000, w);
    await w.source.stop();
    expect(w.statuses.slice(0, 2).map((s) => s.state)).toEqual(['connecting', 'live']);
    expect(w.statuses.at(-1)?.state).toBe('stopped');
    for (const f of w.frames) {
      expectLetterboxed(f, [416, 340]);
      expect([f.sourceWidth, f.sourceHeight]).toEqual([704, 576]);
      expect(Math.abs(f.timestamp - Date.now())).toBeLessThan(30_000);
    }
    // GOP 2 s, interval 3 s: the newest keyframe when due, so 2 or 4 s apart, 3 s on average.
    const gaps = w.frames.slice(1).map((f, i) => f.timestamp - w.frames[i]!.timestamp);
    for (const g of gaps) expect(g).toBeGreaterThan(1_500);
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    expect(mean).toBeGreaterThan(2_400);
    expect(mean).toBeLessThan(4_200);
    expect(w.source.pid).toBeUndefined(); // no process of its own
  });

  it('two cameras share one decoder (same codec and size); the pool outlives each camera', async () => {
    const before = pool.stats.decoded;
    const a = watch(nativeCamera('share-a', server.url('cam1')), { decoderPool: pool });
    const b = watch(nativeCamera('share-b', server.url('cam2')), { decoderPool: pool });
    await until('both have two frames', () => a.frames.length >= 2 && b.frames.length >= 2, 30_000, b);
    await Promise.all([a.source.stop(), b.source.stop()]);
    expect(pool.stats.decoders).toBe(1);
    expect(pool.stats.decoded - before).toBeGreaterThanOrEqual(4);
    expect(pool.pids).toHaveLength(1);
  });

  it('server killed: backoff with the reason, then live again after the restart', async () => {
    const w = watch(nativeCamera('native-outage', server.url('cam1')), { decoderPool: pool });
    await until('a frame', () => w.frames.length > 0, 20_000, w);
    const atKill = w.statuses.length;
    await server.kill();
    await until('backoff', () => w.statuses.slice(atKill).some((s) => s.state === 'backoff'), 20_000, w);
    await until('two more attempts', () => w.source.status.attempt >= 3, 15_000, w);
    const framesAtOutage = w.frames.length;
    const backoff = w.statuses.filter((s) => s.state === 'backoff').at(-1)!;
    expect(backoff.reason).toMatch(/^(connection refused|stream ended|timed out)/);
    expect(backoff.retryAt).toBeGreaterThan(Date.now() - 5_000);
    await server.restart();
    await until('live again with new frames', () => w.source.status.state === 'live' && w.frames.length > framesAtOutage, 30_000, w);
    await w.source.stop();
  }, 90_000);
});

describe('native camera: H.265 and authentication', async () => {
  const { stdout } = await run(ffmpeg, ['-hide_banner', '-encoders']);
  it.skipIf(!stdout.includes('libx265'))('H.265: letterboxed frames through the same pool', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'patrol-native-hevc-'));
    let hevc: TestRtspServer | undefined;
    try {
      const ts = join(dir, 'hevc.ts');
      // Patrol profile: 704×576, 25 fps, a keyframe every 2 s; x265's default B-frames (a declared reorder delay).
      await run(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=704x576:rate=25', '-t', '8', '-c:v', 'libx265', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-x265-params', 'keyint=50:min-keyint=50:scenecut=0:log-level=error', '-b:v', '512k', '-f', 'mpegts', ts]);
      hevc = await TestRtspServer.start({ mounts: ['cam'], clip: ts, codec: 'h265' });
      const w = watch(nativeCamera('native-hevc', hevc.url('cam')), { decoderPool: pool });
      await until('three frames', () => w.frames.length >= 3, 30_000, w);
      await w.source.stop();
      for (const f of w.frames) expectLetterboxed(f, [416, 340]);
    } finally {
      await hevc?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('wrong password: failed (401), redacted, retried at the maximum backoff; the right one goes live', async () => {
    const secured = await TestRtspServer.start({ mounts: ['cam'], clip: clip.ts, auth: 'viewer:right-pass', authMethod: 'digest' });
    try {
      const bad = watch(nativeCamera('bad-auth', secured.url('cam', 'viewer:wrong-pass')), { decoderPool: pool, backoff: { baseMs: 100, maxMs: 30_000, jitter: 0 } });
      const good = watch(nativeCamera('good-auth', secured.url('cam', 'viewer:right-pass')), { decoderPool: pool });
      await until('bad camera failed', () => bad.source.status.state === 'failed', 20_000, bad);
      await until('good camera has a frame', () => good.frames.length > 0, 20_000, good);
      const i = bad.statuses.findIndex((s) => s.state === 'failed');
      expect(bad.statuses[i]!.reason).toMatch(/^authentication failed \(401\)/);
      expect(bad.statuses[i]!.reason).toContain(`rtsp://***@127.0.0.1:${secured.port}/cam`);
      expect(bad.statuses[i]!.retryAt! - bad.statusTimes[i]!).toBeGreaterThan(29_000);
      for (const text of [JSON.stringify(bad.statuses), ...bad.logs]) expect(text).not.toContain('wrong-pass');
      await Promise.all([bad.source.stop(), good.source.stop()]);
    } finally {
      await secured.stop();
    }
  });
});
