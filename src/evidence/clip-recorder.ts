import { mkdir, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import type { FfmpegBinary } from '../decode/ffmpeg-path.js';
import type { PatrolEvent } from '../contracts/event.js';
import type { ClipSpan, ClipSpanSource } from '../contracts/clip-span.js';
import { silentLog, type Log } from '../log/log.js';
import { ClipUnavailableError, cutClip, type CutClip } from './clip-cut.js';
import { DEFAULT_SEGMENT_SEC } from '../ingest/ring-writer.js';
import { readRing, ringDirFor, selectSegments } from './clip-ring.js';
import { EvidencePathError, evidenceRelPath, resolveInStorage } from './store-files.js';
import { writeSpanClip } from './span-clip.js';

export interface ClipRecorderOptions {
  storageDir: string;
  cameraId: string;
  /** The ring the camera source writes (its `ring.dir`). Default `ringDirFor(storageDir, cameraId)`. */
  ringDir?: string;
  /**
   * transport native: the camera's in-memory packet ring instead of a ring folder. A request then waits on
   * it for the post-roll and writes the units it hands over (writeSpanClip); `ringDir` and `segmentSec`
   * are not used.
   */
  spans?: ClipSpanSource;
  ffmpeg: FfmpegBinary | string;
  /** Seconds before the moment of confirmation. Default 5. */
  preRollSec?: number;
  /** Seconds after it. Default 10. */
  postRollSec?: number;
  /**
   * An event first seen shortly before it was confirmed (dumping, burning: a few seconds) gets its clip from
   * `startedAt − preRoll` instead, as long as that is at most this many seconds earlier than
   * `confirmedAt − preRoll`. A stall confirmed after minutes of dwell gets the moment of confirmation: its
   * first sighting is long gone from the ring (the persistence-proof snapshots cover it). Default 10.
   */
  maxLeadSec?: number;
  /** The ring's segment length (match the camera source's `ring.segmentSec`). Default 2. */
  segmentSec?: number;
  /**
   * How long past the end of the span to wait for the segment that holds it to complete (the ring lists a
   * segment when the keyframe after it arrives: up to one GOP later, plus the camera's latency).
   * Default 3 segments + 5 s. Then the clip is cut with what there is (a shorter post-roll, logged). With
   * `spans`: how long past the end to wait for a stream that stalls without dropping its connection.
   */
  settleMs?: number;
  /** Ring polling while waiting. Default 500 ms. */
  pollMs?: number;
  logger?: Log;
  /** Wall clock (same clock as live frame timestamps). */
  clock?: () => number;
}

/** What goes into the event: `evidence.clip = relPath`, `evidence.sha256[relPath] = sha256`. */
export interface ClipEvidence {
  relPath: string;
  sha256: string;
  /** About the cut; absent when the event came with its clip already recorded. */
  cut?: {
    bytes: number;
    /** Wall-clock span the clip shows. */
    startMs: number;
    endMs: number;
    /** The requested span is all there (full pre- and post-roll, no gap). */
    complete: boolean;
    codec?: string;
  };
}

const noop = (): void => {};
const b36 = (ms: number): string => Math.floor(ms).toString(36);

/** The event with its clip recorded in the evidence (a copy; other evidence untouched). */
export function withClip(event: PatrolEvent, clip: Pick<ClipEvidence, 'relPath' | 'sha256'>): PatrolEvent {
  return { ...event, evidence: { ...event.evidence, clip: clip.relPath, sha256: { ...event.evidence.sha256, [clip.relPath]: clip.sha256 } } };
}

/**
 * Ring length that always holds a clip's span when it is cut: pre-roll + post-roll + maxLead, plus the
 * keyframe before the start, the segment that completes the end, and slack for a late cut (4 segments).
 * Defaults: 5 + 10 + 10 + 8 = 33 s. Pass the same numbers as to the recorder.
 */
export function ringSecondsFor(o: Pick<ClipRecorderOptions, 'preRollSec' | 'postRollSec' | 'maxLeadSec' | 'segmentSec'> = {}): number {
  return (o.preRollSec ?? 5) + (o.postRollSec ?? 10) + (o.maxLeadSec ?? 10) + 4 * (o.segmentSec ?? DEFAULT_SEGMENT_SEC);
}

/**
 * Pre-roll a native camera's packet ring keeps, seconds: the earliest a clip can start is maxLead + pre-roll
 * before the moment of confirmation, and the clip is asked for a moment later (the frame's analysis), so
 * 5 s of slack. The post-roll is collected as it arrives, not kept. Defaults: 10 + 5 + 5 = 20 s.
 */
export function preRollSecondsFor(o: Pick<ClipRecorderOptions, 'preRollSec' | 'maxLeadSec'> = {}): number {
  return (o.preRollSec ?? 5) + (o.maxLeadSec ?? 10) + 5;
}

/** The wall-clock span a clip for this event shows (see `maxLeadSec`). */
export function clipWindow(event: Pick<PatrolEvent, 'startedAt' | 'confirmedAt'>, preRollSec = 5, postRollSec = 10, maxLeadSec = 10): { fromMs: number; toMs: number } {
  const anchor = Math.min(event.confirmedAt, Math.max(event.startedAt, event.confirmedAt - maxLeadSec * 1000));
  return { fromMs: anchor - preRollSec * 1000, toMs: event.confirmedAt + postRollSec * 1000 };
}

interface Pending {
  promise: Promise<ClipEvidence | undefined>;
  /** Ends the wait now: cut with what is recorded. */
  hurry: () => void;
}

/**
 * One camera's evidence clips: `request(event)` waits until the post-roll has been recorded, cuts the clip
 * out of the camera's ring (cutClip; a native camera: from the units its packet ring hands over, writeSpanClip)
 * into the event's evidence folder and resolves with what to record.
 * It never rejects: no ring, nothing recorded for the span, or a failed cut resolves `undefined` (logged).
 * Requests for the same event share one cut; an event that already has its clip gets it back uncut. Cuts
 * run one at a time per camera.
 */
export class ClipRecorder {
  /** The ring folder read; undefined for a camera whose clips come from `spans`. */
  readonly ringDir: string | undefined;
  private readonly pre: number;
  private readonly post: number;
  private readonly maxLead: number;
  private readonly segmentSec: number;
  private readonly settleMs: number;
  private readonly pollMs: number;
  private readonly log: Log;
  private readonly clock: () => number;
  private readonly pending = new Map<string, Pending>();
  /** Finished requests, newest last (bounded): a repeated request gets the same answer. */
  private readonly done = new Map<string, ClipEvidence | undefined>();
  private cuts: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly opts: ClipRecorderOptions) {
    this.ringDir = opts.spans ? undefined : (opts.ringDir ?? ringDirFor(opts.storageDir, opts.cameraId));
    this.pre = opts.preRollSec ?? 5;
    this.post = opts.postRollSec ?? 10;
    this.maxLead = opts.maxLeadSec ?? 10;
    this.segmentSec = opts.segmentSec ?? DEFAULT_SEGMENT_SEC;
    this.settleMs = opts.settleMs ?? 3 * this.segmentSec * 1000 + 5_000;
    this.pollMs = opts.pollMs ?? 500;
    this.log = opts.logger ?? silentLog;
    this.clock = opts.clock ?? Date.now;
    for (const [name, v] of Object.entries({ preRollSec: this.pre, postRollSec: this.post, maxLeadSec: this.maxLead })) {
      if (!(v >= 0) || !Number.isFinite(v)) throw new RangeError(`clip recorder: ${name} must be ≥ 0, got ${v}`);
    }
    if (this.pre + this.post <= 0) throw new RangeError('clip recorder: pre-roll + post-roll must be positive');
  }

  /** Requests waiting for their post-roll or being cut. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** The span a clip for this event shows. */
  window(event: Pick<PatrolEvent, 'startedAt' | 'confirmedAt'>): { fromMs: number; toMs: number } {
    return clipWindow(event, this.pre, this.post, this.maxLead);
  }

  /** Where this event's clip goes, relative to the storage dir. */
  relPath(event: Pick<PatrolEvent, 'id' | 'cameraId' | 'startedAt' | 'confirmedAt'>): string {
    return evidenceRelPath(event.cameraId, event.startedAt, event.id, `clip-${b36(event.confirmedAt)}.mp4`);
  }

  /**
   * The clip for this event, once its post-roll is recorded (≈ confirmedAt + postRoll + one GOP). Call it
   * when the event opens; calling again (updates, a restart) is harmless.
   */
  request(event: PatrolEvent): Promise<ClipEvidence | undefined> {
    const existing = event.evidence.clip;
    if (existing && event.evidence.sha256[existing]) {
      return Promise.resolve({ relPath: existing, sha256: event.evidence.sha256[existing]! });
    }
    if (this.done.has(event.id)) return Promise.resolve(this.done.get(event.id));
    const pending = this.pending.get(event.id);
    if (pending) return pending.promise;
    if (this.closed) return Promise.resolve(undefined);

    let hurry: () => void = noop;
    const hurried = new Promise<void>((r) => (hurry = r));
    const promise = this.record(event, hurried)
      .catch((err: unknown) => {
        this.log.error({ err, eventId: event.id, cameraId: event.cameraId }, 'clip recording failed; the event keeps its other evidence');
        return undefined;
      })
      .then((clip) => {
        this.pending.delete(event.id);
        this.done.set(event.id, clip);
        if (this.done.size > 256) this.done.delete(this.done.keys().next().value!);
        return clip;
      });
    this.pending.set(event.id, { promise, hurry });
    return promise;
  }

  /**
   * Stop waiting: every pending request is cut now with what the ring holds (call after the camera
   * source stopped: ffmpeg lists its last, partial segment when it exits), then resolves. Later requests
   * resolve `undefined`.
   */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.pending.values()];
    for (const p of all) p.hurry();
    await Promise.all(all.map((p) => p.promise));
  }

  private async record(event: PatrolEvent, hurried: Promise<void>): Promise<ClipEvidence | undefined> {
    const { fromMs, toMs } = this.window(event);
    const fields = { eventId: event.id, cameraId: event.cameraId, fromMs, toMs };
    const deadline = toMs + this.settleMs;
    if (this.opts.spans) {
      // A stream that stalls without dropping its connection still ends the wait, at the ring's settle deadline.
      const late = new Promise<void>((r) => {
        const timer = setTimeout(r, Math.max(0, deadline - this.clock()));
        timer.unref();
        void hurried.then(() => {
          clearTimeout(timer);
          r();
        });
      });
      return this.cutNow(event, fromMs, toMs, fields, await this.opts.spans.span(fromMs, toMs, late));
    }
    const ringDir = this.ringDir!;
    let stop = false;
    void hurried.then(() => (stop = true));
    // Wait for the post-roll, then for the segment holding its end to complete.
    for (;;) {
      const now = this.clock();
      if (stop) break;
      if (now >= toMs) {
        const segments = await readRing(ringDir, this.segmentSec);
        // An empty ring (off, or never started) has nothing to wait for.
        if (segments.length === 0 || (selectSegments(segments, fromMs, toMs).endMs ?? -Infinity) >= toMs || now >= deadline) break;
      }
      await wait(now < toMs ? Math.min(toMs - now, 60_000) : this.pollMs, hurried);
    }
    return this.cutNow(event, fromMs, toMs, fields);
  }

  /** `span`: what a native camera's packet ring handed over (undefined: nothing); absent: cut from the ring folder. */
  private cutNow(event: PatrolEvent, fromMs: number, toMs: number, fields: object, span?: ClipSpan | undefined): Promise<ClipEvidence | undefined> {
    const native = this.opts.spans !== undefined;
    if (native && !span) {
      this.log.warn(fields, 'no clip for this event: the camera holds no video for its span (camera down, or the event is older than its packet ring); the event keeps its snapshot');
      return Promise.resolve(undefined);
    }
    const job = this.cuts.then(async (): Promise<ClipEvidence | undefined> => {
      const relPath = this.relPath(event);
      const outPath = await this.target(relPath);
      let cut: CutClip;
      try {
        cut = span
          ? await writeSpanClip({ span, outPath, ffmpeg: this.opts.ffmpeg })
          : await cutClip({ ringDir: this.ringDir!, fromMs, toMs, outPath, ffmpeg: this.opts.ffmpeg, segmentSec: this.segmentSec });
      } catch (err) {
        if (err instanceof ClipUnavailableError) {
          this.log.warn({ ...fields, ringDir: this.ringDir, reason: err.message }, 'no clip for this event: the camera ring holds nothing for its span (ring off, camera down, or the event is older than the ring)');
          return undefined;
        }
        throw err;
      }
      const clip: ClipEvidence = { relPath, sha256: cut.sha256, cut: { bytes: cut.bytes, startMs: cut.startMs, endMs: cut.endMs, complete: cut.complete, codec: cut.codec } };
      const summary = { ...fields, relPath, bytes: cut.bytes, seconds: (cut.endMs - cut.startMs) / 1000, segments: cut.segments, gapMs: cut.gapMs, codec: cut.codec };
      if (!cut.complete) this.log.warn({ ...summary, why: span?.shortBecause }, 'clip recorded, but the ring did not hold the whole span (short pre/post-roll or a gap)');
      else this.log.info(summary, 'clip recorded');
      if (cut.codec && cut.codec !== 'h264') this.log.warn(summary, `clip is ${cut.codec}, not H.264: browsers may not play it (the ring copies the camera's stream as it is)`);
      return clip;
    });
    this.cuts = job.catch(noop);
    return job;
  }

  /** The absolute path for relPath, refusing one that escapes the storage dir (also through a symlink). */
  private async target(relPath: string): Promise<string> {
    const target = resolveInStorage(this.opts.storageDir, relPath);
    await mkdir(dirname(target), { recursive: true });
    const root = await realpath(resolve(this.opts.storageDir));
    const dir = await realpath(dirname(target));
    const rel = relative(root, dir);
    if (dir !== root && (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel))) {
      throw new EvidencePathError(relPath, 'resolves outside the storage dir');
    }
    return target;
  }
}

/** Sleeps, or less when `until` settles first (no timer is left behind to keep the process up). */
function wait(ms: number, until: Promise<void>): Promise<void> {
  return new Promise((r) => {
    const timer = setTimeout(r, Math.max(0, ms));
    void until.then(() => {
      clearTimeout(timer);
      r();
    });
  });
}
