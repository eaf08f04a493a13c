import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { ClipCodec, ClipSpan } from '../../src/contracts/clip-span.js';
import { joinNalUnits, nalType, splitNalUnits } from '../../src/decode/annex-b.js';
import { resolveFfmpeg } from '../../src/decode/ffmpeg-path.js';
import { writeSpanClip } from '../../src/evidence/span-clip.js';

const run = promisify(execFile);
const ffmpeg = resolveFfmpeg().path;
const dir = mkdtempSync(join(tmpdir(), 'patrol-span-clip-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** testsrc2 encoded without B-frames, cut into access units (one slice per picture), keyframe every 25. */
async function accessUnits(codec: ClipCodec, frames: number): Promise<Array<{ data: Buffer; keyframe: boolean }>> {
  const enc =
    codec === 'h264'
      ? ['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-bf', '0', '-f', 'h264']
      : ['-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'keyint=25:min-keyint=25:bframes=0:scenecut=0:log-level=error', '-f', 'hevc'];
  const { stdout } = await run(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=352x288:rate=25', '-frames:v', String(frames), '-pix_fmt', 'yuv420p', ...enc, 'pipe:1'], { encoding: 'buffer', maxBuffer: 64 << 20 });
  const isVcl = (t: number): boolean => (codec === 'h264' ? t === 1 || t === 5 : t < 32);
  const isKey = (t: number): boolean => (codec === 'h264' ? t === 5 : t >= 16 && t <= 21);
  const units: Array<{ data: Buffer; keyframe: boolean }> = [];
  let pending: Buffer[] = [];
  for (const nal of splitNalUnits(stdout)) {
    pending.push(nal);
    const t = nalType(codec, nal);
    if (isVcl(t)) {
      units.push({ data: joinNalUnits(pending), keyframe: isKey(t) });
      pending = [];
    }
  }
  return units;
}

async function probe(path: string): Promise<{ codec: string; frames: number; duration: number }> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-count_packets', '-show_entries', 'stream=codec_name,nb_read_packets:format=duration', '-of', 'json', path]);
  const j = JSON.parse(stdout) as { streams: Array<{ codec_name: string; nb_read_packets: string }>; format: { duration: string } };
  return { codec: j.streams[0]!.codec_name, frames: Number(j.streams[0]!.nb_read_packets), duration: Number(j.format.duration) };
}

function span(codec: ClipCodec, units: Array<{ data: Buffer; keyframe: boolean }>, stepMs: number): ClipSpan {
  const t0 = 1_700_000_000_000;
  return { codec, units: units.map((u, i) => ({ ...u, ptsMs: i * stepMs, receivedAt: t0 + i * stepMs })), startMs: t0, endMs: t0 + (units.length - 1) * stepMs, complete: true };
}

describe('writeSpanClip: access units with RTP times → MP4 by stream copy', async () => {
  const { stdout } = await run(ffmpeg, ['-hide_banner', '-encoders']);
  for (const codec of ['h264', 'h265'] as const) {
    it.skipIf(codec === 'h265' && !stdout.includes('libx265'))(`${codec}: every unit, the codec, and the duration the timestamps say (not a frame rate)`, async () => {
      const units = await accessUnits(codec, 100);
      expect(units).toHaveLength(100);
      // 25 fps material stamped 80 ms apart: the clip lasts 8 s, as the camera's clock says.
      const out = join(dir, `${codec}.mp4`);
      const clip = await writeSpanClip({ span: span(codec, units, 80), outPath: out, ffmpeg });
      const p = await probe(out);
      expect(p.codec).toBe(codec === 'h264' ? 'h264' : 'hevc');
      expect(p.frames).toBe(100);
      expect(Math.abs(p.duration - 8)).toBeLessThan(0.1);
      expect(clip.codec).toBe(p.codec);
      expect(clip.sha256).toMatch(/^[0-9a-f]{64}$/);
    });
  }

  it('refuses a span that does not start on a keyframe', async () => {
    const units = await accessUnits('h264', 3);
    await expect(writeSpanClip({ span: span('h264', units.slice(1), 40), outPath: join(dir, 'bad.mp4'), ffmpeg })).rejects.toThrow(/keyframe/);
  });
});
