import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { joinNalUnits, nalType, splitNalUnits, type KeyframeCodec } from '../../src/decode/annex-b.js';
import { KeyframeDecoderPool } from '../../src/decode/decoder-pool.js';
import { letterboxFilter } from '../../src/decode/ffmpeg-args.js';
import { resolveFfmpeg } from '../../src/decode/ffmpeg-path.js';

const run = promisify(execFile);
const ffmpeg = resolveFfmpeg().path;
const OUT = { width: 416, height: 416, pixelFormat: 'bgr24' as const };
const FRAME = OUT.width * OUT.height * 3;

/** testsrc2 frames encoded to a raw Annex-B stream, cut into access units (one slice per picture here). */
async function accessUnits(codec: KeyframeCodec, frames: number, enc: string[]): Promise<Buffer[]> {
  const { stdout } = await run(
    ffmpeg,
    ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=704x576:rate=25', '-frames:v', String(frames), ...enc, '-pix_fmt', 'yuv420p', '-f', codec === 'h264' ? 'h264' : 'hevc', 'pipe:1'],
    { encoding: 'buffer', maxBuffer: 64 << 20 },
  );
  const isVcl = (n: Buffer): boolean => (codec === 'h264' ? [1, 5].includes(nalType(codec, n)) : nalType(codec, n) < 32);
  const units: Buffer[] = [];
  let pending: Buffer[] = [];
  for (const nal of splitNalUnits(stdout)) {
    pending.push(nal);
    if (isVcl(nal)) {
      units.push(joinNalUnits(pending));
      pending = [];
    }
  }
  return units;
}

/** Every picture one short ffmpeg makes of the stream, with the same letterbox (display order). */
async function reference(codec: KeyframeCodec, data: Buffer): Promise<Buffer[]> {
  const child = spawn(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-f', codec === 'h264' ? 'h264' : 'hevc', '-i', 'pipe:0', '-vf', letterboxFilter(OUT), '-f', 'rawvideo', '-pix_fmt', OUT.pixelFormat, 'pipe:1']);
  const out: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => out.push(c));
  child.stdin.end(data);
  await new Promise((r) => child.on('close', r));
  const all = Buffer.concat(out);
  return Array.from({ length: all.length / FRAME }, (_, i) => all.subarray(i * FRAME, (i + 1) * FRAME));
}

const pool = new KeyframeDecoderPool({ ffmpegPath: ffmpeg, ...OUT });
afterAll(() => pool.close());

describe('decoding forward from a keyframe (one request, the last picture back)', async () => {
  const { stdout: encoders } = await run(ffmpeg, ['-hide_banner', '-encoders']);

  it('H.264: keyframe + N access units gives exactly frame N, whatever was decoded before', async () => {
    const units = await accessUnits('h264', 40, ['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '250', '-bf', '0']);
    expect(units).toHaveLength(40);
    const ref = await reference('h264', Buffer.concat(units));
    const other = (await accessUnits('h264', 1, ['-c:v', 'libx264', '-preset', 'ultrafast', '-s', '352x288']))[0]!;
    const t0 = performance.now();
    for (const n of [12, 39, 1, 25]) {
      const f = await pool.decodeForward('h264', units[0]!, units.slice(1, n + 1));
      expect(f.complete).toBe(true);
      expect(f.data.equals(ref[n]!)).toBe(true);
      expect(f.data.equals(ref[0]!)).toBe(false);
      // Another camera's keyframe in between takes nothing of this request with it, nor leaves anything behind.
      await pool.decode('h264', other);
    }
    const ms = performance.now() - t0;
    expect(ms).toBeLessThan(10_000);
    expect(pool.stats).toMatchObject({ failed: 0, strayFrames: 0, shortRequests: 0 });
  });

  it.skipIf(!encoders.includes('libx265'))('H.265 open GOP with B-frames: from a CRA, mid-stream, a picture of the due moment, not short', async () => {
    // x265's defaults: open GOP (CRA keyframes with RASL leading pictures), B-frames with a reorder delay.
    const units = await accessUnits('h265', 60, ['-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'keyint=30:min-keyint=30:scenecut=0:log-level=error']);
    const types = units.map((u) => nalType('h265', splitNalUnits(u).find((n) => nalType('h265', n) < 32)!));
    const cra = types.indexOf(21);
    expect(cra).toBeGreaterThan(0);
    const ref = await reference('h265', Buffer.concat(units));
    // What native-source sends: the CRA and what follows it, RASL pictures (8, 9) left out.
    const following = units.slice(cra + 1, cra + 16).filter((_, i) => ![8, 9].includes(types[cra + 1 + i]!));
    // The decoder is mid-stream, and, as a camera does it, the CRA was analyzed alone first (on its arrival):
    // the same CRA twice in a row came out one picture short until each request ended its sequence (EOS).
    expect((await pool.decodeForward('h265', units[0]!, units.slice(1, 20))).complete).toBe(true);
    await pool.decode('h265', units[cra]!);
    const f = await pool.decodeForward('h265', units[cra]!, following);
    expect(f.complete).toBe(true);
    // In decoding order the last picture is one of the GOP's, not the CRA's own.
    const index = ref.findIndex((r) => r.equals(f.data));
    expect(index).toBeGreaterThan(cra);
    expect(index).toBeLessThan(cra + 20);
    expect(pool.stats.shortRequests).toBe(0);
  });
});
