import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { splitNalUnits } from '../src/decode/annex-b.js';
import { resolveFfmpeg } from '../src/decode/ffmpeg-path.js';

const run = promisify(execFile);

export type StreamCodec = 'h264' | 'h265';

/** One encoded picture as a camera would send it: its NAL units (no start codes) in decoding order. */
export interface EncodedUnit {
  nals: Buffer[];
  keyframe: boolean;
}

export interface EncodedStream {
  codec: StreamCodec;
  width: number;
  height: number;
  fps: number;
  /** Pictures from one keyframe to the next. */
  gop: number;
  units: EncodedUnit[];
  /** From the first keyframe: what the SDP announces (VPS only for H.265). */
  parameterSets: { vps: Buffer[]; sps: Buffer[]; pps: Buffer[] };
}

export interface EncodeOptions {
  codec: StreamCodec;
  width: number;
  height: number;
  fps?: number;
  gop?: number;
  seconds?: number;
  /** A video file to re-encode (looped, scaled to width × height) instead of lavfi testsrc2. */
  source?: string;
  /** Target bitrate, ffmpeg syntax; default 600k. */
  bitrate?: string;
}

/**
 * Real encoded access units for the test RTSP servers: lavfi testsrc2 (or a video file) through libx264/libx265
 * as a raw Annex-B stream (parameter sets repeated before every keyframe, no B-frames, closed GOP), cut into
 * access units.
 */
export async function encodeStream(o: EncodeOptions): Promise<EncodedStream> {
  const fps = o.fps ?? 25;
  const gop = o.gop ?? fps;
  const seconds = o.seconds ?? 4;
  const codecArgs =
    o.codec === 'h264'
      ? ['-c:v', 'libx264', '-preset', 'ultrafast', '-profile:v', 'baseline', '-g', String(gop), '-keyint_min', String(gop), '-sc_threshold', '0', '-bf', '0', '-bsf:v', 'h264_mp4toannexb', '-f', 'h264']
      : ['-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', `keyint=${gop}:min-keyint=${gop}:scenecut=0:bframes=0:open-gop=0:repeat-headers=1:log-level=error`, '-f', 'hevc'];
  const input = o.source
    ? ['-stream_loop', '-1', '-i', o.source, '-an', '-vf', `scale=${o.width}:${o.height},fps=${fps}`]
    : ['-f', 'lavfi', '-i', `testsrc2=size=${o.width}x${o.height}:rate=${fps}`];
  const { stdout } = await run(
    resolveFfmpeg().path,
    ['-hide_banner', '-loglevel', 'error', ...input, '-t', String(seconds), '-pix_fmt', 'yuv420p', '-b:v', o.bitrate ?? '600k', ...codecArgs, '-'],
    { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
  );
  const units = accessUnits(o.codec, splitNalUnits(stdout));
  const first = units.find((u) => u.keyframe);
  if (!first) throw new Error(`encodeStream: ffmpeg made no ${o.codec} keyframe`);
  const kind = (n: Buffer): number => nalType(o.codec, n);
  const pick = (t: number): Buffer[] => first.nals.filter((n) => kind(n) === t);
  const parameterSets = o.codec === 'h264' ? { vps: [], sps: pick(7), pps: pick(8) } : { vps: pick(32), sps: pick(33), pps: pick(34) };
  return { codec: o.codec, width: o.width, height: o.height, fps, gop, units, parameterSets };
}

/** Whether this ffmpeg can encode `codec` (libx265 is missing from some builds): H.265 tests skip without it. */
export function canEncode(codec: StreamCodec): boolean {
  const r = spawnSync(resolveFfmpeg().path, ['-hide_banner', '-encoders'], { encoding: 'utf8', timeout: 20_000 });
  return (r.stdout ?? '').includes(codec === 'h264' ? 'libx264' : 'libx265');
}

export function nalType(codec: StreamCodec, nal: Buffer): number {
  return codec === 'h264' ? nal[0]! & 0x1f : (nal[0]! >> 1) & 0x3f;
}

function isVcl(codec: StreamCodec, type: number): boolean {
  return codec === 'h264' ? type >= 1 && type <= 5 : type < 32;
}

function isKey(codec: StreamCodec, type: number): boolean {
  return codec === 'h264' ? type === 5 : type >= 16 && type <= 21;
}

/** The first slice of a picture: first_mb_in_slice = 0 (H.264), first_slice_segment_in_pic_flag (H.265). */
function firstSlice(codec: StreamCodec, nal: Buffer): boolean {
  return codec === 'h264' ? (nal[1]! & 0x80) !== 0 : (nal[2]! & 0x80) !== 0;
}

/** Groups NAL units into access units: a new one starts at a non-VCL unit or a first slice after a picture. */
function accessUnits(codec: StreamCodec, nals: Buffer[]): EncodedUnit[] {
  const out: EncodedUnit[] = [];
  let cur: EncodedUnit | undefined;
  let hasPicture = false;
  for (const nal of nals) {
    const type = nalType(codec, nal);
    const vcl = isVcl(codec, type);
    if (!cur || (hasPicture && (!vcl || firstSlice(codec, nal)))) {
      cur = { nals: [], keyframe: false };
      out.push(cur);
      hasPicture = false;
    }
    cur.nals.push(Buffer.from(nal));
    if (vcl) hasPicture = true;
    if (isKey(codec, type)) cur.keyframe = true;
  }
  return out.filter((u) => u.nals.some((n) => isVcl(codec, nalType(codec, n))));
}
