import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { ClipCodec, ClipSpan } from '../../src/contracts/clip-span.js';
import { joinNalUnits, nalType, splitNalUnits } from '../../src/decode/annex-b.js';
import { resolveFfmpeg } from '../../src/decode/ffmpeg-path.js';

const run = promisify(execFile);

/** testsrc2 at 25 fps encoded without B-frames, a keyframe every 25, cut into access units (one slice per picture). */
export async function accessUnits(codec: ClipCodec, frames: number, size = '352x288'): Promise<Array<{ data: Buffer; keyframe: boolean }>> {
  const enc =
    codec === 'h264'
      ? ['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-bf', '0', '-f', 'h264']
      : ['-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'keyint=25:min-keyint=25:bframes=0:scenecut=0:log-level=error', '-f', 'hevc'];
  const { stdout } = await run(resolveFfmpeg().path, ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=25`, '-frames:v', String(frames), '-pix_fmt', 'yuv420p', ...enc, 'pipe:1'], { encoding: 'buffer', maxBuffer: 64 << 20 });
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

/** The units as a clip span stamped `stepMs` apart from t0 (wall clock and stream clock alike). */
export function spanOf(codec: ClipCodec, units: Array<{ data: Buffer; keyframe: boolean }>, stepMs: number, t0 = 1_700_000_000_000): ClipSpan {
  return { codec, units: units.map((u, i) => ({ ...u, ptsMs: i * stepMs, receivedAt: t0 + i * stepMs })), startMs: t0, endMs: t0 + (units.length - 1) * stepMs, complete: true };
}
