import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveFfmpeg } from '../../src/decode/ffmpeg-path.js';
import { writeSpanClip } from '../../src/evidence/span-clip.js';
import { accessUnits, spanOf } from '../support/access-units.js';

const run = promisify(execFile);
const ffmpeg = resolveFfmpeg().path;
const dir = mkdtempSync(join(tmpdir(), 'patrol-span-clip-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function probe(path: string): Promise<{ codec: string; frames: number; duration: number }> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-count_packets', '-show_entries', 'stream=codec_name,nb_read_packets:format=duration', '-of', 'json', path]);
  const j = JSON.parse(stdout) as { streams: Array<{ codec_name: string; nb_read_packets: string }>; format: { duration: string } };
  return { codec: j.streams[0]!.codec_name, frames: Number(j.streams[0]!.nb_read_packets), duration: Number(j.format.duration) };
}

describe('writeSpanClip: access units with RTP times → MP4 by stream copy', async () => {
  const { stdout } = await run(ffmpeg, ['-hide_banner', '-encoders']);
  for (const codec of ['h264', 'h265'] as const) {
    it.skipIf(codec === 'h265' && !stdout.includes('libx265'))(`${codec}: every unit, the codec, and the duration the timestamps say (not a frame rate)`, async () => {
      const units = await accessUnits(codec, 100);
      expect(units).toHaveLength(100);
      // 25 fps material stamped 80 ms apart: the clip lasts 8 s, as the camera's clock says.
      const out = join(dir, `${codec}.mp4`);
      const clip = await writeSpanClip({ span: spanOf(codec, units, 80), outPath: out, ffmpeg });
      const p = await probe(out);
      expect(p.codec).toBe(codec === 'h264' ? 'h264' : 'hevc');
      expect(p.frames).toBe(100);
      expect(Math.abs(p.duration - 8)).toBeLessThan(0.1);
      expect(clip.codec).toBe(p.codec);
      expect(clip.sha256).toMatch(/^[0-9a-f]{64}$/);
    });
  }

  it('a camera that repeats a timestamp still gives a clip that decodes without a timestamp error', async () => {
    const units = await accessUnits('h264', 50);
    const span = spanOf('h264', units, 40);
    // Units 10–12 carry one timestamp (a camera under load stamping on arrival at its clock's resolution).
    for (const i of [11, 12]) span.units[i]!.ptsMs = span.units[10]!.ptsMs;
    const out = join(dir, 'repeated.mp4');
    await writeSpanClip({ span, outPath: out, ffmpeg });
    expect((await probe(out)).frames).toBe(50);
    const { stderr } = await run(ffmpeg, ['-hide_banner', '-nostdin', '-v', 'error', '-i', out, '-f', 'null', '-']);
    expect(stderr).toBe('');
  });

  it('refuses a span that does not start on a keyframe', async () => {
    const units = await accessUnits('h264', 3);
    await expect(writeSpanClip({ span: spanOf('h264', units.slice(1), 40), outPath: join(dir, 'bad.mp4'), ffmpeg })).rejects.toThrow(/keyframe/);
  });
});
