/**
 * The clip ring on the production path: an RTSP camera (the GStreamer test server), through a server crash
 * and reconnect. A clip that spans the outage joins two ffmpeg runs (two segment lists, PTS from 0 again)
 * into one valid MP4, and plays in headless Chromium.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveFfmpeg } from '../../src/decode/ffmpeg-path.js';
import { cutClip } from '../../src/evidence/clip-cut.js';
import { readRing, ringDirFor } from '../../src/evidence/clip-ring.js';
import { createCameraSource, type CameraSource } from '../../src/ingest/camera-source.js';
import { testClip } from '../support/clip.js';
import { TestRtspServer } from '../../support/rtsp.js';

const run = promisify(execFile);
const ffmpeg = resolveFfmpeg();
const CHROMIUM = '/usr/bin/chromium';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await sleep(50);
  }
}

async function frames(path: string): Promise<Array<{ key: boolean; pts: number }>> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', 'v', '-show_entries', 'frame=key_frame,pts_time,pkt_dts_time', '-of', 'json', path]);
  const j = JSON.parse(stdout) as { frames: Array<{ key_frame: number; pts_time?: string; pkt_dts_time?: string }> };
  return j.frames.map((f) => ({ key: f.key_frame === 1, pts: Number(f.pts_time ?? f.pkt_dts_time) }));
}

describe('clip ring on an RTSP camera, across a reconnect', () => {
  const storage = mkdtempSync(join(tmpdir(), 'patrol-clip-rtsp-'));
  const ringDir = ringDirFor(storage, 'cam1');
  let server: TestRtspServer;
  let source: CameraSource;
  let live = 0;
  let killedAt = 0;
  let backAt = 0;

  beforeAll(async () => {
    const clip = await testClip();
    server = await TestRtspServer.start({ mounts: ['cam1'], clip: clip.ts });
    // The ring folder is ffmpeg's (a native camera keeps its pre-roll in memory: native-clip.test.ts).
    source = createCameraSource(
      { id: 'cam1', url: server.url('cam1'), loop: false, intervalSec: 1, decode: 'keyframe', transport: 'ffmpeg' },
      {
        width: 64,
        height: 64,
        pixelFormat: 'rgb24',
        ffmpeg,
        ring: { dir: ringDir, seconds: 30 },
        backoff: { baseMs: 200, maxMs: 1_000, jitter: 0.2 },
        socketTimeoutMs: 3_000,
        analyzeDurationMs: 1_000,
      },
    );
    source.onStatus((s) => void (s.state === 'live' && live++));
    source.start();
    await until('live', () => live === 1);
    await sleep(9_000);
    killedAt = Date.now();
    await server.kill();
    await sleep(2_000);
    await server.restart();
    await until('live again', () => live === 2, 30_000);
    backAt = Date.now();
    await sleep(7_000);
  }, 90_000);

  afterAll(async () => {
    await source?.stop();
    await server?.stop();
    if (process.env.PATROL_KEEP_TEST_FILES) console.log(`kept ${storage}`);
    else rmSync(storage, { recursive: true, force: true });
  });

  it('each connection wrote its own segment list', async () => {
    const ring = await readRing(ringDir);
    const runs = [...new Set(ring.map((s) => s.run))];
    expect(runs).toHaveLength(2);
    // The first run's list ends before the outage, the second starts after it.
    const first = ring.filter((s) => s.run === runs[0]);
    const second = ring.filter((s) => s.run === runs[1]);
    expect(first.at(-1)!.endMs).toBeLessThanOrEqual(killedAt + 500);
    expect(second[0]!.startMs).toBeGreaterThanOrEqual(killedAt);
    expect(second[0]!.streamStart).toBeLessThan(1);
  });

  it('a clip across the outage joins both runs into one valid H.264 MP4 that decodes cleanly', async () => {
    const out = join(storage, 'across.mp4');
    const cut = await cutClip({ ringDir, fromMs: killedAt - 6_000, toMs: backAt + 4_000, outPath: out, ffmpeg });
    expect(cut.codec).toBe('h264');
    expect(cut.complete).toBe(false);
    expect(cut.gapMs).toBeGreaterThan(1_000);
    const f = await frames(out);
    expect(f[0]!.key).toBe(true);
    const bad = f.filter((x, i) => !(x.pts > (f[i - 1]?.pts ?? -1)));
    expect(bad).toEqual([]);
    // The outage is not in the clip (the concat joins the runs), and neither is video past toMs.
    expect(f.length / 25).toBeCloseTo((cut.endMs - cut.startMs - cut.gapMs) / 1000, 0);
    const { stderr } = await run(ffmpeg.path, ['-v', 'error', '-i', out, '-fps_mode', 'passthrough', '-enc_time_base', '-1', '-f', 'null', '-']);
    expect(stderr).toBe('');
  });

  it('a clip inside one connection has the requested length (± one GOP at the start)', async () => {
    const out = join(storage, 'inside.mp4');
    const cut = await cutClip({ ringDir, fromMs: backAt + 500, toMs: backAt + 5_500, outPath: out, ffmpeg });
    expect(cut.complete).toBe(true);
    const f = await frames(out);
    const seconds = f.length / 25;
    expect(seconds).toBeGreaterThanOrEqual(5 - 0.1);
    expect(seconds).toBeLessThanOrEqual(7 + 0.1);
    expect(f[0]!.key).toBe(true);
  });

  it.skipIf(!existsSync(CHROMIUM))('plays in headless Chromium', async () => {
    const out = join(storage, 'across.mp4');
    const http: Server = createServer((req, res) => {
      if (req.url === '/clip.mp4') {
        res.writeHead(200, { 'content-type': 'video/mp4' });
        res.end(readFileSync(out));
      } else {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<!doctype html><video id="v" src="/clip.mp4" muted playsinline></video>');
      }
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--autoplay-policy=no-user-gesture-required'],
    });
    try {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${(http.address() as AddressInfo).port}/`);
      const result = await page.evaluate(async () => {
        const v = document.getElementById('v') as HTMLVideoElement;
        await v.play();
        const t0 = performance.now();
        while (v.currentTime < 1.5 && !v.error && performance.now() - t0 < 15_000) await new Promise((r) => setTimeout(r, 100));
        return { time: v.currentTime, width: v.videoWidth, height: v.videoHeight, duration: v.duration, error: v.error?.code ?? null };
      });
      expect(result.error).toBeNull();
      expect([result.width, result.height]).toEqual([704, 576]);
      expect(result.time).toBeGreaterThanOrEqual(1.5);
      expect(result.duration).toBeGreaterThan(5);
    } finally {
      await browser.close();
      await new Promise((r) => http.close(r));
    }
  });
});
