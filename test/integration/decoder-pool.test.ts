import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { KeyframeDecoderPool, prepareKeyframe } from '../../src/decode/decoder-pool.js';
import { letterboxFilter } from '../../src/decode/ffmpeg-args.js';
import { resolveFfmpeg } from '../../src/decode/ffmpeg-path.js';
import { KeyframeDecoder } from '../../src/decode/keyframe-decoder.js';

const run = promisify(execFile);
const ffmpeg = resolveFfmpeg().path;
const OUT = { width: 416, height: 416, pixelFormat: 'bgr24' as const };

/** One keyframe access unit (Annex-B, with SPS/PPS) of lavfi's testsrc2 at `size`, frame `n` of the pattern. */
async function keyframe(codec: 'h264' | 'h265', size: string, n = 0, extra: string[] = []): Promise<Buffer> {
  const enc = codec === 'h264' ? ['-c:v', 'libx264', '-preset', 'ultrafast', ...extra] : ['-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error', ...extra];
  const { stdout } = await run(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=25`, '-vf', `select=eq(n\\,${n})`, '-frames:v', '1', ...enc, '-f', codec === 'h264' ? 'h264' : 'hevc', 'pipe:1'], { encoding: 'buffer', maxBuffer: 16 << 20 });
  return stdout;
}

/** What one short ffmpeg makes of the same keyframe with the same letterbox: the reference. */
async function reference(codec: 'h264' | 'h265', data: Buffer): Promise<Buffer> {
  const child = spawn(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-f', codec === 'h264' ? 'h264' : 'hevc', '-i', 'pipe:0', '-vf', letterboxFilter(OUT), '-f', 'rawvideo', '-pix_fmt', OUT.pixelFormat, 'pipe:1']);
  const out: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => out.push(c));
  child.stdin.end(data);
  await new Promise((r) => child.on('close', r));
  return Buffer.concat(out);
}

async function hasLibx265(): Promise<boolean> {
  const { stdout } = await run(ffmpeg, ['-hide_banner', '-encoders']);
  return stdout.includes('libx265');
}

const pools: KeyframeDecoderPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});
function pool(opts: Partial<ConstructorParameters<typeof KeyframeDecoderPool>[0]> = {}): KeyframeDecoderPool {
  const p = new KeyframeDecoderPool({ ffmpegPath: ffmpeg, ...OUT, ...opts });
  pools.push(p);
  return p;
}

describe('keyframe decoder pool (long-lived ffmpeg)', async () => {
  const x265 = await hasLibx265();
  it('decodes each keyframe at once into the same letterboxed bytes as a one-shot ffmpeg, B-frame streams included', async () => {
    const p = pool();
    // -bf 3: the SPS declares a reorder delay the pool rewrites away, or frames would come keyframes late.
    const keys = await Promise.all([0, 10, 20].map((n) => keyframe('h264', '704x576', n, ['-profile:v', 'main', '-bf', '3'])));
    for (const k of keys) {
      const t0 = performance.now();
      const f = await p.decode('h264', k);
      expect(performance.now() - t0).toBeLessThan(2_000);
      expect([f.sourceWidth, f.sourceHeight, f.contentWidth, f.contentHeight]).toEqual([704, 576, 416, 340]);
      expect(f.data.equals(await reference('h264', k))).toBe(true);
    }
    expect(p.stats).toMatchObject({ decoded: 3, failed: 0, starts: 1, decoders: 1 });
  });

  it('starts a second decoder only when keyframes queue, and no more than decodersPerSize', async () => {
    const p = pool();
    const k = await keyframe('h264', '704x576');
    // Six at once: the first decoder takes one and queues two before the pool grows.
    const burst = await Promise.all(Array.from({ length: 6 }, () => p.decode('h264', k)));
    for (const f of burst) expect(f.data.equals(burst[0]!.data)).toBe(true);
    expect(p.stats).toMatchObject({ decoded: 6, failed: 0, decoders: 2 });
    const capped = pool({ decodersPerSize: 1 });
    await Promise.all(Array.from({ length: 6 }, () => capped.decode('h264', k)));
    expect(capped.stats).toMatchObject({ decoded: 6, decoders: 1 });
  });

  it.skipIf(!x265)('decodes H.265 (x265 default: 4 B-frames of reorder delay declared)', async () => {
    const p = pool();
    for (const n of [0, 7]) {
      const k = await keyframe('h265', '704x576', n);
      const f = await p.decode('h265', k);
      expect(f.data.equals(await reference('h265', k))).toBe(true);
    }
  });

  it('a new picture size gets its own decoder: a camera that changes resolution does not break the others', async () => {
    const p = pool({ idleMs: 300 });
    const small = await keyframe('h264', '320x240');
    const big = await keyframe('h264', '1280x720');
    const a = await p.decode('h264', small);
    const b = await p.decode('h264', big);
    const c = await p.decode('h264', small);
    expect([a.sourceWidth, b.sourceWidth, c.sourceWidth]).toEqual([320, 1280, 320]);
    expect([b.contentWidth, b.contentHeight]).toEqual([416, 234]);
    expect(p.stats.decoders).toBe(2);
    // Unused sizes are stopped.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(p.stats.decoders).toBe(0);
    expect((await p.decode('h264', small)).data.equals(a.data)).toBe(true);
  });

  it('a keyframe that does not decode is reported (timeout), the decoder restarts, the next one decodes', async () => {
    const p = pool({ timeoutMs: 1_000 });
    const good = await keyframe('h264', '704x576');
    // A real SPS and PPS with a slice of garbage: readable size, nothing decodable.
    const broken = Buffer.concat([good.subarray(0, good.length - 2000), Buffer.alloc(2000, 0xff)]);
    const results = await Promise.allSettled([p.decode('h264', broken), p.decode('h264', good)]);
    expect(results[1]).toMatchObject({ status: 'fulfilled' });
    if (results[0].status === 'rejected') expect(String(results[0].reason)).toMatch(/keyframe decoder/);
    // No SPS at all: refused at once.
    await expect(p.decode('h264', Buffer.from([0, 0, 0, 1, 0x65, 0x88]))).rejects.toThrow(/carries no SPS/);
    expect((await p.decode('h264', good)).data.equals(await reference('h264', good))).toBe(true);
  });

  it('a decoder process that dies is replaced on the next request', async () => {
    const d = new KeyframeDecoder({ ffmpegPath: ffmpeg, codec: 'h264', ...OUT, timeoutMs: 2_000 });
    try {
      const prepared = prepareKeyframe('h264', await keyframe('h264', '704x576')).data;
      await d.decode(prepared);
      process.kill(d.pid!, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 200));
      expect((await d.decode(prepared)).length).toBe(416 * 416 * 3);
      expect(d.stats.starts).toBe(2);
    } finally {
      await d.close();
    }
  });
});
