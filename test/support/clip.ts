import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { resolveFfmpeg } from '../../src/decode/ffmpeg-path.js';

const run = promisify(execFile);

export interface TestClip {
  dir: string;
  /** MPEG-TS: what the RTSP feeders loop (an .mp4 feeder stops after one loop in ffmpeg 5.1). */
  ts: string;
  mp4: string;
  width: number;
  height: number;
  fps: number;
  /** Frames between keyframes. */
  gop: number;
  durationSec: number;
}

/**
 * The patrol-profile test clip: 704×576 (4:3-ish, PAL D1), 25 fps, H.264 baseline, closed GOP of 50 frames
 * (a keyframe every 2 s), no B-frames, ~512 kbps — generated once per process with lavfi's testsrc2.
 */
const cache = new Map<number, Promise<TestClip>>();

export function testClip(opts: { durationSec?: number } = {}): Promise<TestClip> {
  const durationSec = opts.durationSec ?? 10;
  let clip = cache.get(durationSec);
  if (!clip) {
    clip = makeClip(durationSec);
    cache.set(durationSec, clip);
  }
  return clip;
}

async function makeClip(durationSec: number): Promise<TestClip> {
  const ffmpeg = resolveFfmpeg().path;
  const dir = mkdtempSync(join(tmpdir(), 'patrol-clip-'));
  const clip: TestClip = { dir, ts: join(dir, 'clip.ts'), mp4: join(dir, 'clip.mp4'), width: 704, height: 576, fps: 25, gop: 50, durationSec };
  const encode = ['-c:v', 'libx264', '-preset', 'ultrafast', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p'];
  const gop = ['-g', String(clip.gop), '-keyint_min', String(clip.gop), '-sc_threshold', '0', '-bf', '0'];
  const rate = ['-b:v', '512k', '-maxrate', '512k', '-bufsize', '1M'];
  const source = ['-f', 'lavfi', '-i', `testsrc2=size=${clip.width}x${clip.height}:rate=${clip.fps}`, '-t', String(clip.durationSec)];
  await run(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-y', ...source, ...encode, ...gop, ...rate, '-f', 'mpegts', clip.ts]);
  // The .mp4 is a remux of the same stream: identical frames and keyframes.
  await run(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-y', '-i', clip.ts, '-c', 'copy', '-movflags', '+faststart', clip.mp4]);
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return clip;
}
