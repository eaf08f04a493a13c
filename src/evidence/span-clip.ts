import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ClipSpan, ClipSpanUnit } from '../contracts/clip-span.js';
import type { FfmpegBinary } from '../decode/ffmpeg-path.js';
import { isRaslPicture } from '../decode/annex-b.js';
import { runFfmpeg, syncAndHash, type CutClip } from './clip-cut.js';
import { writeMpegTs } from './mpegts-writer.js';
import { syncDir } from './store-files.js';

export interface WriteSpanClipOptions {
  span: ClipSpan;
  /** Absolute path of the MP4 to write (its folder is created). Written to a temp name, fsynced, renamed. */
  outPath: string;
  ffmpeg: FfmpegBinary | string;
  /** Kill ffmpeg after this long. Default 60 s. */
  timeoutMs?: number;
}

/**
 * A native camera's clip: the span's access units, wrapped in MPEG-TS with their RTP times (mpegts-writer),
 * go to ffmpeg on stdin and come out as the same MP4 the ring cutter writes (stream copy, `+faststart`) —
 * to a temp name, fsynced, renamed, folder fsynced. No re-encoding: the span starts on a keyframe.
 */
export async function writeSpanClip(o: WriteSpanClipOptions): Promise<CutClip> {
  const { span } = o;
  if (span.units.length === 0 || !span.units[0]!.keyframe) throw new RangeError('clip span: must start with a keyframe');
  const ffmpegPath = typeof o.ffmpeg === 'string' ? o.ffmpeg : o.ffmpeg.path;
  await mkdir(dirname(o.outPath), { recursive: true });
  const tmp = join(dirname(o.outPath), `.${randomBytes(6).toString('hex')}.${process.pid}.clip.tmp`);
  try {
    const ts = spanToMpegTs(span);
    const args = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'info', '-f', 'mpegts', '-i', 'pipe:0'];
    // The MP4 keeps the 90 kHz clock of the TS: in a coarser track timescale (ffmpeg picks one from the guessed
    // frame rate) two units a tick apart — a camera repeating a timestamp — collapse to one DTS and the clip breaks.
    args.push('-map', '0:v:0', '-c', 'copy', '-an', '-sn', '-dn', '-video_track_timescale', '90000', '-movflags', '+faststart', '-f', 'mp4', '-y', tmp);
    const { codec } = await runFfmpeg(ffmpegPath, args, o.timeoutMs ?? 60_000, [ts]);
    const { sha256, bytes } = await syncAndHash(tmp);
    await rename(tmp, o.outPath);
    await syncDir(dirname(o.outPath));
    return { path: o.outPath, sha256, bytes, startMs: span.startMs, endMs: span.endMs, segments: 1, complete: span.complete, gapMs: 0, codec };
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** The span as one MPEG-TS stream, each unit with its RTP time (what ffmpeg reads for clips and bursts). */
export function spanToMpegTs(span: Pick<ClipSpan, 'codec' | 'units'>): Buffer {
  return Buffer.concat(writeMpegTs(span.codec, withoutLeadingRasl(span)));
}

/**
 * H.265 open GOP: the RASL pictures right after the clip's first CRA reference the GOP before it, which the
 * clip does not hold; they are left out (a decoder drops them anyway, a player may show them broken).
 */
export function withoutLeadingRasl(span: Pick<ClipSpan, 'codec' | 'units'>): ClipSpanUnit[] {
  if (span.codec !== 'h265') return span.units;
  let end = 1;
  while (end < span.units.length && isRaslPicture(span.units[end]!.data)) end++;
  return end === 1 ? span.units : [span.units[0]!, ...span.units.slice(end)];
}
