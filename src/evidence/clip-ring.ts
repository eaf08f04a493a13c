import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_SEGMENT_SEC } from '../ingest/ring-writer.js';
import { safeSegment } from './store-files.js';

/**
 * The read side of the per-camera ring of recent compressed video (its layout: ingest/ring-writer.ts).
 *
 * Wall clock of a segment: its file's mtime. ffmpeg closes segment k (its last write) the moment the first
 * packet of segment k+1 arrives — the keyframe at the list's `end` time — so mtime is the wall-clock arrival
 * of `end`, on the same clock, at the same point of the pipeline, that stamps live frames (`Frame.timestamp`
 * is Date.now() when the decoded frame reaches Node, a few ms later). Start = mtime − (end − start). This
 * needs no PTS↔wall mapping, so it is right across reconnects (new run, PTS from 0), across the PTS reset of
 * a camera reboot, and for looping `file://` sources (ffmpeg's -stream_loop keeps PTS increasing anyway).
 * It is only meaningful for real-time sources: a file read as fast as possible (`patrol analyze`, pipeline
 * `once` mode) has frame times from the file, not the clock, so the camera source keeps the ring off there.
 *
 * Why a listed file is never half-rewritten: with wrap ≥ listSize + 3, the slot ffmpeg reopens when a
 * segment starts belongs to no list version of the last two segment durations, so a reader that took a
 * list and stat()ed/copied its files within ≈ 2 segment lengths saw whole files. The cutter checks the
 * stat again after copying, for a reader that stalled longer.
 */

/** `<storageDir>/ring/<cameraId>`: where the camera source writes the ring and the clip recorder reads it. */
export function ringDirFor(storageDir: string, cameraId: string): string {
  return join(storageDir, 'ring', safeSegment(cameraId));
}

/** One entry of a run's segment list. Times are stream seconds. */
export interface SegmentListEntry {
  file: string;
  start: number;
  end: number;
}

/** Parses ffmpeg's csv segment list (`name,start,end`, the name quoted when it has a comma or quote). */
export function parseSegmentList(csv: string): SegmentListEntry[] {
  const out: SegmentListEntry[] = [];
  for (const raw of csv.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) continue;
    let file: string;
    let rest: string;
    if (line.startsWith('"')) {
      const m = /^"((?:[^"]|"")*)",(.*)$/.exec(line);
      if (!m) continue;
      file = m[1]!.replace(/""/g, '"');
      rest = m[2]!;
    } else {
      const i = line.indexOf(',');
      if (i < 0) continue;
      file = line.slice(0, i);
      rest = line.slice(i + 1);
    }
    const [a, b] = rest.split(',');
    const start = Number(a);
    const end = Number(b);
    if (!file || file.includes('/') || !Number.isFinite(start) || !Number.isFinite(end)) continue;
    out.push({ file, start, end });
  }
  return out;
}

/** A completed segment on disk with its wall-clock span. */
export interface RingSegment {
  /** Absolute path. */
  path: string;
  /** The ffmpeg run (list) it belongs to. */
  run: string;
  /** Wall clock, epoch ms. */
  startMs: number;
  endMs: number;
  /** Stream time from the list, seconds (this run's PTS time line). */
  streamStart: number;
  streamEnd: number;
  /** What stat() said when the ring was read: a copy made later must still match. */
  size: number;
  mtimeMs: number;
  ino: number;
}

export interface ListedFile extends SegmentListEntry {
  mtimeMs: number;
}

/** Longest believable segment; a longer span in the list means a timestamp jump inside the segment. */
const MAX_SEGMENT_MS = 120_000;

/**
 * Wall-clock spans of one run's listed segments (in list order) from their mtimes (see the file comment):
 * end = mtime, start = end − (end − start in stream time). A stream-time span that makes no sense (a
 * timestamp jump) falls back to the previous segment's end, else to `segmentSec`.
 */
export function segmentWallTimes(files: readonly ListedFile[], segmentSec = DEFAULT_SEGMENT_SEC): Array<{ startMs: number; endMs: number }> {
  const out: Array<{ startMs: number; endMs: number }> = [];
  let prevEnd: number | undefined;
  for (const f of files) {
    const endMs = f.mtimeMs;
    let span = (f.end - f.start) * 1000;
    if (!(span > 0 && span <= MAX_SEGMENT_MS)) span = prevEnd !== undefined && endMs > prevEnd ? endMs - prevEnd : segmentSec * 1000;
    out.push({ startMs: endMs - span, endMs });
    prevEnd = endMs;
  }
  return out;
}

/**
 * The completed segments of every run in the ring folder, oldest first. A list that changes while its
 * files are stat()ed is read again, so the result is one consistent version of each list. A missing
 * folder is an empty ring.
 */
export async function readRing(dir: string, segmentSec = DEFAULT_SEGMENT_SEC): Promise<RingSegment[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: RingSegment[] = [];
  for (const name of names) {
    if (!name.endsWith('.csv')) continue;
    const run = name.slice(0, -4);
    out.push(...(await readRun(dir, run, segmentSec)));
  }
  return out.sort((a, b) => a.startMs - b.startMs);
}

async function readList(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function readRun(dir: string, run: string, segmentSec: number): Promise<RingSegment[]> {
  const listPath = join(dir, `${run}.csv`);
  let csv = await readList(listPath);
  for (let attempt = 0; csv !== undefined && attempt < 3; attempt++) {
    const entries = parseSegmentList(csv);
    const files: Array<ListedFile & { path: string; size: number; ino: number }> = [];
    for (const e of entries) {
      const path = join(dir, e.file);
      try {
        const st = await stat(path);
        files.push({ ...e, path, mtimeMs: st.mtimeMs, size: st.size, ino: st.ino });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    const again = await readList(listPath);
    if (again !== csv) {
      csv = again;
      continue;
    }
    const times = segmentWallTimes(files, segmentSec);
    return files.map((f, i) => ({
      path: f.path,
      run,
      startMs: times[i]!.startMs,
      endMs: times[i]!.endMs,
      streamStart: f.start,
      streamEnd: f.end,
      size: f.size,
      mtimeMs: f.mtimeMs,
      ino: f.ino,
    }));
  }
  return [];
}

/** Gaps and overlaps up to this much between consecutive segments count as contiguous (mtime jitter). */
export const CONTIGUOUS_TOLERANCE_MS = 500;

export interface Selection {
  segments: RingSegment[];
  /** Wall-clock span the segments cover (undefined when none). */
  startMs?: number;
  endMs?: number;
  /** The whole of [fromMs, toMs] is covered, without gaps. */
  complete: boolean;
  /** Gaps inside the selection longer than the tolerance (a reconnect, a stalled camera), ms in total. */
  gapMs: number;
}

/**
 * The segments to concatenate for [fromMs, toMs]: every segment that overlaps it, oldest first. The clip
 * starts on the first one's keyframe, at or before `fromMs`, so the pre-roll is never short by design;
 * its end is trimmed to `toMs` by the cutter. A segment that overlaps the previous one by more than the
 * tolerance (two writers on one camera: should not happen) is skipped. Pure.
 */
export function selectSegments(segments: readonly RingSegment[], fromMs: number, toMs: number): Selection {
  const sorted = [...segments].sort((a, b) => a.startMs - b.startMs || a.endMs - b.endMs);
  const picked: RingSegment[] = [];
  let gapMs = 0;
  for (const s of sorted) {
    if (s.endMs <= fromMs || s.startMs >= toMs || s.endMs <= s.startMs) continue;
    const last = picked.at(-1);
    if (last) {
      if (s.startMs < last.endMs - CONTIGUOUS_TOLERANCE_MS) continue;
      const gap = s.startMs - last.endMs;
      if (gap > CONTIGUOUS_TOLERANCE_MS) gapMs += gap;
    }
    picked.push(s);
  }
  if (picked.length === 0) return { segments: [], complete: false, gapMs: 0 };
  const startMs = picked[0]!.startMs;
  const endMs = picked.at(-1)!.endMs;
  const complete = startMs <= fromMs + CONTIGUOUS_TOLERANCE_MS && endMs >= toMs - CONTIGUOUS_TOLERANCE_MS && gapMs === 0;
  return { segments: picked, startMs, endMs, complete, gapMs };
}

