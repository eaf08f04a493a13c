/**
 * The access units of a native camera since its latest keyframe, for decoding forward to the due frame when
 * keyframes come further apart than the analysis interval. A keyframe starts the buffer afresh; each access
 * unit after it is appended. Bounded: past `maxBytes` or `maxUnits` the GOP is given up (its units freed,
 * nothing more appended) until the next keyframe, and so it is when an access unit was lost since the last
 * one appended (a P-frame after a gap references a picture the decoder never saw). Pure: the caller says
 * whether anything was lost (the RTSP session's dropped access-unit count moved).
 */

export interface BufferedUnit<T> {
  unit: T;
  bytes: number;
  /** Its time in the stream (RTP clock, ms). */
  streamMs: number;
  /** Wall clock (epoch ms) when it arrived. */
  receivedAt: number;
}

/** What goes to the decoder as one request: the keyframe, then every access unit after it up to `due`. */
export interface ForwardRequest<T> {
  keyframe: BufferedUnit<T>;
  /** In decoding order, ending with the due access unit. */
  following: Array<BufferedUnit<T>>;
  due: BufferedUnit<T>;
}

export type GopAbandon = 'loss' | 'bytes' | 'count';

export interface GopBufferOptions {
  /** Default 8 MB: a 10 s GOP at 6 Mbit/s. */
  maxBytes?: number;
  /** Default 600 access units: 20 s at 30 fps; each is a decode when forwarding. */
  maxUnits?: number;
}

export const DEFAULT_GOP_MAX_BYTES = 8 * 1024 * 1024;
export const DEFAULT_GOP_MAX_UNITS = 600;

export interface GopBufferStats {
  /** GOPs given up, by cause. */
  abandoned: Record<GopAbandon, number>;
}

export class GopBuffer<T> {
  private units: Array<BufferedUnit<T>> = [];
  private size = 0;
  private abandonedWhy: GopAbandon | undefined;
  private readonly maxBytes: number;
  private readonly maxUnits: number;
  readonly stats: GopBufferStats = { abandoned: { loss: 0, bytes: 0, count: 0 } };

  constructor(opts: GopBufferOptions = {}) {
    this.maxBytes = opts.maxBytes ?? DEFAULT_GOP_MAX_BYTES;
    this.maxUnits = Math.max(1, opts.maxUnits ?? DEFAULT_GOP_MAX_UNITS);
  }

  /** Bytes held. */
  get bytes(): number {
    return this.size;
  }

  /** Access units held, the keyframe included. */
  get length(): number {
    return this.units.length;
  }

  /** Why the current GOP was given up; undefined while it is kept (or none started). */
  get abandoned(): GopAbandon | undefined {
    return this.abandonedWhy;
  }

  /** A keyframe: the previous GOP is dropped and this one starts. */
  keyframe(entry: BufferedUnit<T>): void {
    this.units = [entry];
    this.size = entry.bytes;
    this.abandonedWhy = undefined;
    if (entry.bytes > this.maxBytes) this.abandon('bytes');
  }

  /**
   * An access unit after the keyframe. `lost`: an access unit was dropped since the previous one arrived.
   * Ignored while no GOP is kept (before the first keyframe, or after one was given up).
   */
  follow(entry: BufferedUnit<T>, lost: boolean): void {
    if (this.units.length === 0) return;
    if (lost) return this.abandon('loss');
    if (this.units.length + 1 > this.maxUnits) return this.abandon('count');
    if (this.size + entry.bytes > this.maxBytes) return this.abandon('bytes');
    this.units.push(entry);
    this.size += entry.bytes;
  }

  /**
   * The request that decodes forward to the newest access unit held, when it is newer than `afterStreamMs`
   * (the last analyzed) and is not the keyframe itself; undefined otherwise.
   */
  forward(afterStreamMs: number | undefined): ForwardRequest<T> | undefined {
    if (this.units.length < 2) return undefined;
    const due = this.units[this.units.length - 1]!;
    if (afterStreamMs !== undefined && due.streamMs <= afterStreamMs) return undefined;
    return { keyframe: this.units[0]!, following: this.units.slice(1), due };
  }

  /** Keeps the keyframe only (forwarding is off for this camera: its GOP is short enough). */
  keyframeOnly(): void {
    if (this.units.length <= 1) return;
    this.units.length = 1;
    this.size = this.units[0]!.bytes;
  }

  /** A new connection: nothing carries over. */
  reset(): void {
    this.units = [];
    this.size = 0;
    this.abandonedWhy = undefined;
  }

  private abandon(why: GopAbandon): void {
    this.units = [];
    this.size = 0;
    this.abandonedWhy = why;
    this.stats.abandoned[why]++;
  }
}
