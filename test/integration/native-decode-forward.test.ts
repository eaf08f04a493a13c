import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceStatus } from '../../src/contracts/camera-status.js';
import type { Frame } from '../../src/contracts/frame.js';
import { KeyframeDecoderPool } from '../../src/decode/decoder-pool.js';
import { resolveFfmpeg } from '../../src/decode/ffmpeg-path.js';
import { NativeCameraSource } from '../../src/ingest/native-source.js';
import { readProcessStats } from '../../src/ingest/process-stats.js';
import { TestRtspServer } from '../../support/rtsp.js';

const run = promisify(execFile);
const ffmpeg = resolveFfmpeg().path;
const SIZE = { width: 416, height: 416, pixelFormat: 'bgr24' } as const;

let dir: string;
let server: TestRtspServer | undefined;
const pool = new KeyframeDecoderPool({ ffmpegPath: ffmpeg, ...SIZE });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'patrol-long-gop-'));
  const ts = join(dir, 'long-gop.ts');
  // A "smart codec" camera: 704×576 at 25 fps, one keyframe per 250 frames (10 s), no B-frames (as cameras send).
  await run(ffmpeg, [
    ...['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=704x576:rate=25', '-t', '30'],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '250', '-keyint_min', '250', '-sc_threshold', '0', '-bf', '0'],
    ...['-b:v', '512k', '-maxrate', '512k', '-bufsize', '1M', '-f', 'mpegts', ts],
  ]);
  server = await TestRtspServer.start({ mounts: ['cam'], clip: ts });
}, 60_000);

afterAll(async () => {
  await pool.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function until(what: string, cond: () => boolean, timeoutMs: number, detail: () => string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}\n${detail()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('native camera with a GOP longer than its interval (10 s GOP, intervalSec 2) against GStreamer', () => {
  it('decodes forward from the last keyframe: a different picture about every 2 s, not every 10 s', async () => {
    const source = new NativeCameraSource(
      { id: 'long-gop', url: server!.url('cam'), loop: false, intervalSec: 2, decode: 'keyframe', transport: 'native' },
      { ...SIZE, decoderPool: pool, socketTimeoutMs: 5_000, watchdogMs: 30_000 },
    );
    const frames: Frame[] = [];
    const statuses: SourceStatus[] = [];
    source.onFrame((f) => void frames.push(f));
    source.onStatus((s) => void statuses.push(s));
    source.start();
    try {
      await until('a first frame', () => frames.length >= 1, 20_000, () => JSON.stringify(statuses));
      const cpuAt = pool.pids.map((pid) => readProcessStats(pid)?.cpuMs ?? 0).reduce((a, b) => a + b, 0);
      const statsAt = source.stats;
      const nodeAt = process.cpuUsage();
      await until('seven frames', () => frames.length >= 7, 30_000, () => JSON.stringify({ statuses, stats: source.stats, n: frames.length }));
      const cpuMs = pool.pids.map((pid) => readProcessStats(pid)?.cpuMs ?? 0).reduce((a, b) => a + b, 0) - cpuAt;
      const node = process.cpuUsage(nodeAt);
      const nodeMs = (node.user + node.system) / 1000;
      const stats = source.stats;
      const forwardRequests = stats.forwardFrames - statsAt.forwardFrames;
      const forwardUnits = stats.forwardAccessUnits - statsAt.forwardAccessUnits;
      const keyframeRequests = stats.keyframeFrames - statsAt.keyframeFrames;
      console.log(
        `decode forward: ${forwardRequests} forward requests (${forwardUnits} access units, ${(forwardUnits / Math.max(1, forwardRequests)).toFixed(0)} each) and ${keyframeRequests} keyframe decodes took ` +
          `${cpuMs.toFixed(0)} CPU-ms in the decoder (≈ ${(cpuMs / Math.max(1, forwardRequests + keyframeRequests)).toFixed(1)} ms a request, ${(cpuMs / Math.max(1, forwardUnits)).toFixed(2)} ms an access unit; 10 ms ticks); this Node process (RTSP receive, reading every decoded frame off the pipe, the test's polling) ${nodeMs.toFixed(0)} CPU-ms`,
      );

      // About one frame per 2 s: with keyframes only it would be one per 10 s.
      const gaps = frames.slice(1).map((f, i) => f.timestamp - frames[i]!.timestamp);
      for (const g of gaps) expect(g).toBeLessThan(3_500);
      const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
      expect(mean).toBeGreaterThan(1_500);
      expect(mean).toBeLessThan(2_800);
      // Mostly decoded forward, and said so.
      expect(stats.forwardFrames).toBeGreaterThanOrEqual(4);
      expect(stats.forwardFrames).toBeGreaterThan(stats.keyframeFrames);
      expect(statuses.some((s) => s.state === 'live' && /^GOP 10\.0 s > interval 2 s: decoding forward from the last keyframe$/.test(s.reason ?? ''))).toBe(true);
      expect(pool.stats.shortRequests).toBe(0);
      // Real, different pictures (testsrc2 moves and shows a clock): every hash differs, stream times advance.
      const hashes = frames.map((f) => createHash('sha256').update(f.data).digest('hex'));
      expect(new Set(hashes).size).toBe(frames.length);
      for (const f of frames) {
        expect(f.data.length).toBe(416 * 416 * 3);
        expect(new Set(f.data.subarray(0, f.contentHeight * f.width * 3)).size).toBeGreaterThan(50);
      }
      const pts = frames.map((f) => f.ptsMs!);
      for (let i = 1; i < pts.length; i++) expect(pts[i]!).toBeGreaterThan(pts[i - 1]!);
    } finally {
      await source.stop();
    }
  }, 90_000);
});
