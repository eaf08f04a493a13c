import type { ClipCodec } from '../contracts/clip-span.js';

/**
 * A native camera's recent compressed video, in memory: the clip pre-roll (transport: native has no ffmpeg
 * to write a segment ring on disk). Access units are kept as the RTSP client made them (Annex-B, each
 * keyframe with its parameter sets), grouped in GOPs, and GOPs in segments: one segment is one connection's
 * stream with one codec and SPS, on one continuous RTP time line, so a clip cut from a segment never
 * splices across a reconnect, a resolution change or a timestamp jump.
 *
 * Bounded twice: by time (GOPs older than needed for `keepMs` before the newest unit are dropped) and by
 * bytes (the oldest GOPs go past `maxBytes`). Eviction takes whole GOPs from the front, so whatever is held
 * starts on a keyframe. After a lost access unit the rest of its GOP is skipped (a P-frame after a gap
 * refers to a picture that never arrived) and the GOP is marked short. Pure: the caller says the time and
 * whether something was lost.
 */

export interface RingUnit {
  data: Buffer;
  keyframe: boolean;
  /** Time on the RTP clock, ms (the session's unwrapped timestamp). */
  streamMs: number;
  /** Wall clock of arrival, epoch ms. */
  receivedAt: number;
}

interface Gop {
  units: RingUnit[];
  bytes: number;
  /** Units of it were skipped after a loss. */
  short: boolean;
}

interface Segment {
  id: number;
  codec: ClipCodec;
  /** The SPS in force (its resolution): another one starts a new segment. */
  sps: Buffer | undefined;
  gops: Gop[];
  open: boolean;
}

/** Units of one segment from a keyframe on, for a clip. */
export interface RingSelection {
  segmentId: number;
  codec: ClipCodec;
  /** The segment still takes units (the camera is connected). */
  open: boolean;
  units: RingUnit[];
  /** A GOP in the selection lost units. */
  short: boolean;
}

export interface PacketRingOptions {
  /** Keep at least this much video before the newest unit (wall clock), ms. */
  keepMs: number;
  /** Hold at most this many bytes of access units. Default DEFAULT_PACKET_RING_BYTES. */
  maxBytes?: number;
  /** A step of the stream clock further than this (either way) between units starts a new segment. Default 10 s. */
  maxJumpMs?: number;
}

/** 3 MiB: 20 s of pre-roll up to ≈ 1.2 Mbit/s; 512 kbit/s holds ≈ 1.3 MB. */
export const DEFAULT_PACKET_RING_BYTES = 3 * 1024 * 1024;

export interface PacketRingStats {
  /** GOPs dropped from the front (by time or bytes). */
  evictedGops: number;
  /** GOPs dropped because one alone was over the byte cap. */
  oversizeGops: number;
  /** Units skipped: before the first keyframe, or after a loss until the next keyframe. */
  skippedUnits: number;
  segments: number;
}

export class PacketRing {
  private segments: Segment[] = [];
  private size = 0;
  private nextId = 1;
  private last: RingUnit | undefined;
  private readonly keepMs: number;
  private readonly maxBytes: number;
  private readonly maxJumpMs: number;
  readonly stats: PacketRingStats = { evictedGops: 0, oversizeGops: 0, skippedUnits: 0, segments: 0 };

  constructor(opts: PacketRingOptions) {
    if (!(opts.keepMs > 0)) throw new RangeError(`packet ring: keepMs must be positive, got ${opts.keepMs}`);
    this.keepMs = opts.keepMs;
    this.maxBytes = opts.maxBytes ?? DEFAULT_PACKET_RING_BYTES;
    this.maxJumpMs = opts.maxJumpMs ?? 10_000;
  }

  /** Bytes of access units held. */
  get bytes(): number {
    return this.size;
  }

  get unitCount(): number {
    let n = 0;
    for (const s of this.segments) for (const g of s.gops) n += g.units.length;
    return n;
  }

  /** The id of the segment taking units now; undefined between connections or while waiting for a keyframe. */
  get openSegmentId(): number | undefined {
    const s = this.segments.at(-1);
    return s?.open ? s.id : undefined;
  }

  /**
   * One access unit. `lost`: units were dropped just before it. Returns the id of the segment it went
   * into, or undefined when it was skipped (no keyframe yet, or a loss broke its GOP).
   */
  push(unit: RingUnit, codec: ClipCodec, sps: Buffer | undefined, lost = false): number | undefined {
    let seg = this.openSegment();
    if (seg && (seg.codec !== codec || (sps !== undefined && seg.sps !== undefined && !sps.equals(seg.sps)) || this.jumped(unit))) {
      this.close();
      seg = undefined;
    }
    this.last = unit;
    const gop = seg?.gops.at(-1);
    if (!unit.keyframe) {
      if (!seg || !gop || lost || gop.short) {
        if (gop && lost) gop.short = true;
        this.stats.skippedUnits++;
        return undefined;
      }
      gop.units.push(unit);
      gop.bytes += unit.data.length;
    } else {
      if (!seg) {
        seg = { id: this.nextId++, codec, sps, gops: [], open: true };
        this.segments.push(seg);
        this.stats.segments++;
      }
      seg.gops.push({ units: [unit], bytes: unit.data.length, short: false });
    }
    this.size += unit.data.length;
    const id = seg.id;
    this.evict(unit.receivedAt);
    return this.openSegment()?.id === id ? id : undefined;
  }

  /** The connection ended: the next unit starts a new segment. */
  close(): void {
    const seg = this.openSegment();
    if (seg) seg.open = false;
    this.last = undefined;
  }

  /**
   * For a clip of [fromMs, toMs] (wall clock): the segment that covers most of it (the open one counts as
   * reaching toMs: its post-roll is still to come), from its last keyframe at or before `fromMs` (its first
   * one when it starts later: a short pre-roll). Undefined when no segment overlaps the span.
   */
  select(fromMs: number, toMs: number): RingSelection | undefined {
    let best: { seg: Segment; overlap: number } | undefined;
    for (const seg of this.segments) {
      const first = seg.gops[0]?.units[0];
      const newest = seg.gops.at(-1)?.units.at(-1);
      if (!first || !newest) continue;
      const overlap = Math.min(toMs, seg.open ? toMs : newest.receivedAt) - Math.max(fromMs, first.receivedAt);
      if (overlap >= 0 && newest.receivedAt >= fromMs && (!best || overlap > best.overlap)) best = { seg, overlap };
    }
    if (!best) return undefined;
    const seg = best.seg;
    let start = 0;
    for (let i = 0; i < seg.gops.length; i++) if (seg.gops[i]!.units[0]!.receivedAt <= fromMs) start = i;
    const gops = seg.gops.slice(start);
    return { segmentId: seg.id, codec: seg.codec, open: seg.open, units: gops.flatMap((g) => g.units), short: gops.some((g) => g.short) };
  }

  private openSegment(): Segment | undefined {
    const s = this.segments.at(-1);
    return s?.open ? s : undefined;
  }

  private jumped(unit: RingUnit): boolean {
    return this.last !== undefined && Math.abs(unit.streamMs - this.last.streamMs) > this.maxJumpMs;
  }

  /** Whole GOPs from the front: while the next one still covers keepMs, and while over the byte cap. */
  private evict(nowMs: number): void {
    for (;;) {
      const oldest = this.segments[0]?.gops[0];
      if (!oldest) break;
      const next = this.segments[0]!.gops[1] ?? this.segments[1]?.gops[0];
      const old = next !== undefined && next.units[0]!.receivedAt <= nowMs - this.keepMs;
      const over = this.size > this.maxBytes;
      if (!old && !over) break;
      if (!next) this.stats.oversizeGops++;
      else this.stats.evictedGops++;
      this.dropOldestGop();
    }
  }

  private dropOldestGop(): void {
    const seg = this.segments[0]!;
    const gop = seg.gops.shift()!;
    this.size -= gop.bytes;
    // An emptied segment goes; an open one too (its next unit waits for a keyframe and starts a new one).
    if (seg.gops.length === 0) {
      this.segments.shift();
      if (seg.open) this.last = undefined;
    }
  }
}
