import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, open, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { FfmpegBinary } from '../decode/ffmpeg-path.js';
import { childEnv } from '../decode/secret-input.js';
import { DEFAULT_SEGMENT_SEC } from '../ingest/ring-writer.js';
import { readRing, selectSegments, type RingSegment } from './clip-ring.js';
import { syncDir } from './store-files.js';

/** Nothing in the ring covers the requested span (ring off, camera down, or the span is too old). */
export class ClipUnavailableError extends Error {
  override name = 'ClipUnavailableError';
}

export interface CutClipOptions {
  /** The camera's ring folder (`ringDirFor(storage, cameraId)`). */
  ringDir: string;
  /** Wall-clock span, epoch ms. The clip starts on the keyframe at or before `fromMs` and ends at `toMs`. */
  fromMs: number;
  toMs: number;
  /** Absolute path of the MP4 to write (its folder is created). Written to a temp name, fsynced, renamed. */
  outPath: string;
  ffmpeg: FfmpegBinary | string;
  /** The ring's segment length (only used when a segment list makes no sense). Default 2. */
  segmentSec?: number;
  /** Kill ffmpeg after this long. Default 60 s (a copy of a few MB takes well under a second). */
  timeoutMs?: number;
  /** The ring as read by the caller (saves a second read); default: read `ringDir` now. */
  segments?: readonly RingSegment[];
}

export interface CutClip {
  path: string;
  sha256: string;
  bytes: number;
  /** Wall-clock span of the clip: `startMs` ≤ fromMs (keyframe), `endMs` ≤ toMs (less when the ring ends earlier). */
  startMs: number;
  endMs: number;
  /** Segments concatenated. */
  segments: number;
  /** The whole requested span is in the clip, without gaps. */
  complete: boolean;
  /** Missing time inside the clip (a reconnect), ms. */
  gapMs: number;
  /** Codec of the copied stream as ffmpeg names it (`h264`, `hevc`, …): only h264 plays in every Chromium. */
  codec?: string;
}

/**
 * Cuts [fromMs, toMs] out of a camera's ring without re-encoding: copies the overlapping segments aside
 * (the ring keeps turning while ffmpeg works; a hard link would not protect a file that ffmpeg truncates and
 * rewrites in place), concatenates them with the concat demuxer (it keeps time continuous across a reconnect,
 * whose segments restart at PTS 0), trims the end with `-t`, and writes an MP4 with `+faststart` (moov first:
 * a browser can start playing before the whole file arrived) — to a temp name in the target folder, fsync,
 * rename, fsync the folder. Returns its SHA-256. The start cannot be trimmed without re-encoding: the clip
 * starts on the keyframe that opens the first segment, so it is at most one segment (GOP) longer than asked.
 */
export async function cutClip(o: CutClipOptions): Promise<CutClip> {
  if (!(o.toMs > o.fromMs)) throw new RangeError(`clip: empty span [${o.fromMs}, ${o.toMs}]`);
  const ffmpegPath = typeof o.ffmpeg === 'string' ? o.ffmpeg : o.ffmpeg.path;
  const segments = o.segments ?? (await readRing(o.ringDir, o.segmentSec ?? DEFAULT_SEGMENT_SEC));
  let sel = selectSegments(segments, o.fromMs, o.toMs);
  if (sel.segments.length === 0) {
    throw new ClipUnavailableError(`no ring segment covers ${new Date(o.fromMs).toISOString()}–${new Date(o.toMs).toISOString()} in ${o.ringDir}`);
  }

  const work = await mkdtemp(join(o.ringDir, '.cut-'));
  try {
    // Copy, then make sure the original did not change meanwhile. One that did was being rewritten (the
    // oldest slot of the ring, after a long stall): it and everything older is dropped.
    const copied: Array<{ seg: RingSegment; name: string }> = [];
    for (const [i, seg] of sel.segments.entries()) {
      const name = `${String(i).padStart(3, '0')}.ts`;
      try {
        await copyFile(seg.path, join(work, name));
        const after = await stat(seg.path);
        if (after.size !== seg.size || after.mtimeMs !== seg.mtimeMs || after.ino !== seg.ino) copied.length = 0;
        else copied.push({ seg, name });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        copied.length = 0;
      }
    }
    if (copied.length === 0) throw new ClipUnavailableError(`the ring turned over while the clip was copied out of ${o.ringDir}`);
    if (copied.length !== sel.segments.length) sel = selectSegments(copied.map((c) => c.seg), o.fromMs, o.toMs);

    const list = join(work, 'list.ffconcat');
    await writeFile(list, `ffconcat version 1.0\n${copied.map((c) => `file ${c.name}\n`).join('')}`);
    const startMs = sel.startMs!;
    const endMs = Math.min(o.toMs, sel.endMs!);
    await mkdir(dirname(o.outPath), { recursive: true });
    const tmp = join(dirname(o.outPath), `.${randomBytes(6).toString('hex')}.${process.pid}.clip.tmp`);
    try {
      const args = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'info', '-f', 'concat', '-i', list];
      args.push('-map', '0:v:0', '-c', 'copy', '-an', '-sn', '-dn');
      // -t on a stream copy drops every packet from that time on: the end is exact, no keyframe needed there.
      // The concat demuxer closes gaps (a reconnect), so the clip's time line is the wall span less the gaps.
      if (sel.endMs! > o.toMs) args.push('-t', ((endMs - startMs - sel.gapMs) / 1000).toFixed(3));
      args.push('-avoid_negative_ts', 'make_zero', '-movflags', '+faststart', '-f', 'mp4', '-y', tmp);
      const { codec } = await runFfmpeg(ffmpegPath, args, o.timeoutMs ?? 60_000);
      const { sha256, bytes } = await syncAndHash(tmp);
      await rename(tmp, o.outPath);
      await syncDir(dirname(o.outPath));
      return { path: o.outPath, sha256, bytes, startMs, endMs, segments: copied.length, complete: sel.complete, gapMs: sel.gapMs, codec };
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Runs one clip-writing ffmpeg; resolves with the input's video codec as ffmpeg names it. `stdin`: what to
 * feed it on pipe:0 (an ffmpeg that exits early, on an error, is reported by its exit, not by EPIPE).
 */
export function runFfmpeg(path: string, args: string[], timeoutMs: number, stdin?: readonly Buffer[]): Promise<{ codec?: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(path, args, { stdio: ['pipe', 'ignore', 'pipe'], env: childEnv() });
    child.stdin.on('error', () => {});
    for (const chunk of stdin ?? []) child.stdin.write(chunk);
    child.stdin.end();
    let err = '';
    let codec: string | undefined;
    let inInput = false;
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      err = (err + d).slice(-64_000);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ffmpeg (${path}): ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      for (const line of err.split(/\r?\n/)) {
        if (line.startsWith('Input #')) inInput = true;
        else if (line.startsWith('Output #') || line.startsWith('Stream mapping')) inInput = false;
        const m = inInput && !codec ? /^\s*Stream #\d+:\d+.*?: Video: (\w+)/.exec(line) : null;
        if (m) codec = m[1];
      }
      if (code === 0) resolve({ codec });
      else {
        const last = err.split(/\r?\n/).filter((l) => l.trim() && !/^\s/.test(l)).slice(-3).join(' | ');
        reject(new Error(`ffmpeg clip cut failed (${signal ? `killed by ${signal}` : `exit ${code}`}): ${last}`));
      }
    });
  });
}

/** fsync the file and hash it (one read, streamed). */
export async function syncAndHash(path: string): Promise<{ sha256: string; bytes: number }> {
  const fh = await open(path, 'r+');
  try {
    await fh.sync();
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const chunk of fh.createReadStream({ autoClose: false })) {
      hash.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
    return { sha256: hash.digest('hex'), bytes };
  } finally {
    await fh.close();
  }
}

