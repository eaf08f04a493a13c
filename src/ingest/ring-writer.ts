import { readdirSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The write side of the per-camera ring of recent compressed video that evidence clips are cut from.
 *
 * The camera's own ffmpeg (the one that decodes frames for the detector) also stream-copies the camera's
 * H.264 into MPEG-TS segments of ≈ 2 s (one GOP) under `<storage>/ring/<cameraId>/` — see
 * `buildRingOutputArgs` in decode/ffmpeg-args.ts. Each ffmpeg run (each (re)connect) writes its own files:
 * `<run>-NNN.ts` reused round-robin (`wrap` files) and `<run>.csv`, the list of its newest completed
 * segments (`listSize` < `wrap` − 2 of them), rewritten through a rename as each segment completes.
 * evidence/clip-ring.ts reads the ring back and explains why a listed file is never half-rewritten.
 */

export interface RingConfig {
  /** Folder of this camera's ring (absolute, or relative to the cwd). */
  dir: string;
  /** Seconds of video the ring holds at least (pre-roll + post-roll + margin). */
  seconds: number;
  /** Segment length, seconds; segments start on keyframes, so a GOP longer than this sets the length. Default 2. */
  segmentSec?: number;
}

export interface RingLayout {
  segmentSec: number;
  /** Completed segments listed: enough for `seconds` even though the segment being written is not listed. */
  listSize: number;
  /** Files per run, reused round-robin: listSize + 3 (see above). */
  wrap: number;
}

export const DEFAULT_RING_SECONDS = 30;
export const DEFAULT_SEGMENT_SEC = 2;

export function ringLayout(seconds: number, segmentSec = DEFAULT_SEGMENT_SEC): RingLayout {
  if (!(seconds > 0) || !Number.isFinite(seconds)) throw new RangeError(`ring: seconds must be positive, got ${seconds}`);
  if (!(segmentSec > 0) || !Number.isFinite(segmentSec)) throw new RangeError(`ring: segmentSec must be positive, got ${segmentSec}`);
  const listSize = Math.ceil(seconds / segmentSec) + 1;
  return { segmentSec, listSize, wrap: listSize + 3 };
}

/**
 * Called before a new ffmpeg run starts writing: removes runs whose newest file is older than `keepMs`,
 * temporary lists, and work folders of cuts that died (older than 10 min). Synchronous: once per
 * (re)connect, a folder of a few dozen files. Errors are the caller's to log; the ring still works.
 */
export function pruneRing(dir: string, keepMs: number, now = Date.now()): { removed: number } {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { removed: 0 };
    throw err;
  }
  const runs = new Map<string, { newest: number; files: string[] }>();
  let removed = 0;
  for (const name of names) {
    const path = join(dir, name);
    let st;
    try {
      st = statSync(path);
    } catch {
      continue;
    }
    if (name.startsWith('.cut-')) {
      if (st.isDirectory() && st.mtimeMs < now - 600_000) {
        rmSync(path, { recursive: true, force: true });
        removed++;
      }
      continue;
    }
    const m = /^([A-Za-z0-9_]+)(?:-\d+\.ts|\.csv|\.csv\.tmp)$/.exec(name);
    if (!m || !st.isFile()) continue;
    const run = runs.get(m[1]!) ?? { newest: 0, files: [] };
    run.newest = Math.max(run.newest, st.mtimeMs);
    run.files.push(path);
    runs.set(m[1]!, run);
  }
  for (const run of runs.values()) {
    if (run.newest >= now - keepMs) continue;
    for (const f of run.files) {
      try {
        unlinkSync(f);
        removed++;
      } catch {
        /* gone already */
      }
    }
  }
  return { removed };
}

/**
 * Separates the ring's lines from ffmpeg's stderr before the camera source reads it: the segment muxer
 * announces every file it opens ("Opening '…' for writing", twice per segment), which would otherwise
 * become the "last message" a camera failure is explained with; and a ring failure ("Slave muxer #0
 * failed") is about clips, not about the camera. Returned separately so the source can log them.
 */
export class RingStderrFilter {
  private partial = '';

  push(chunk: string): { pass: string; ring: string[] } {
    const text = this.partial + chunk;
    // A '\r' at the very end may be the first half of '\r\n': wait for the next chunk.
    const cut = Math.max(text.lastIndexOf('\n'), text.lastIndexOf('\r', text.length - 2));
    if (cut < 0) {
      this.partial = text.length > 16_384 ? text.slice(-16_384) : text;
      return { pass: '', ring: [] };
    }
    this.partial = text.slice(cut + 1);
    return this.split(text.slice(0, cut + 1));
  }

  end(): { pass: string; ring: string[] } {
    const rest = this.partial;
    this.partial = '';
    return rest ? this.split(rest) : { pass: '', ring: [] };
  }

  private split(text: string): { pass: string; ring: string[] } {
    let pass = '';
    const ring: string[] = [];
    for (const line of text.split(/(?<=\n|\r(?!\n))/)) {
      if (/^\[(segment|tee) @ [^\]]*\]/.test(line)) {
        const msg = line.trim();
        if (!/Opening '.*' for writing$/.test(msg)) ring.push(msg.replace(/^\[([\w-]+) @ 0x[0-9a-f]+\]\s*/i, '$1: '));
      } else pass += line;
    }
    return { pass, ring };
  }
}
