import type { ClipSpan } from '../contracts/clip-span.js';
import type { RingSelection, RingUnit } from './packet-ring.js';

/**
 * One clip being collected from a native camera: the pre-roll the packet ring held when it was asked for,
 * then every unit of the same segment as it arrives, until one arrives past `toMs` (the post-roll is in),
 * the segment ends (reconnect, camera down), the byte cap is reached or the caller stops waiting. Holds
 * references to the ring's buffers, so the ring turning over does not take the pre-roll away. Pure.
 */

/** Default cap of one capture: 16 MiB (a 25 s clip at 5 Mbit/s). */
export const DEFAULT_CAPTURE_MAX_BYTES = 16 * 1024 * 1024;

/** Arrival jitter allowed at either end of the span before it counts as short. */
const EDGE_TOLERANCE_MS = 500;

export class SpanCapture {
  private readonly units: RingUnit[];
  private bytes: number;
  private lossy: boolean;
  private endedBy: string | undefined;
  private passedEnd = false;

  constructor(
    readonly fromMs: number,
    readonly toMs: number,
    private readonly selection: RingSelection,
    private readonly maxBytes = DEFAULT_CAPTURE_MAX_BYTES,
  ) {
    // Only up to toMs: the ring may already hold the whole span (a late request, or after the camera dropped).
    const last = selection.units.findLastIndex((u) => u.receivedAt <= toMs);
    this.units = selection.units.slice(0, last + 1);
    this.passedEnd = last + 1 < selection.units.length;
    this.bytes = this.units.reduce((n, u) => n + u.data.length, 0);
    this.lossy = selection.short;
    if (this.passedEnd) this.endedBy = 'post-roll';
    else if (!selection.open) this.endedBy = 'the camera connection ended (camera down or reconnecting)';
  }

  get segmentId(): number {
    return this.selection.segmentId;
  }

  /** Collecting is over; take the result. */
  get done(): boolean {
    return this.endedBy !== undefined;
  }

  /**
   * A unit pushed to the ring: `segmentId` is where it went (undefined: skipped after a loss). Returns
   * whether collecting is over.
   */
  offer(unit: RingUnit, segmentId: number | undefined): boolean {
    if (this.done) return true;
    if (segmentId === undefined) {
      this.lossy = true;
      return false;
    }
    if (segmentId !== this.segmentId) return this.end('the stream restarted (reconnect or new parameter sets)');
    if (unit.receivedAt > this.toMs) {
      this.passedEnd = true;
      return this.end('post-roll');
    }
    if (this.bytes + unit.data.length > this.maxBytes) return this.end(`the clip reached its byte cap (${this.maxBytes} bytes)`);
    this.units.push(unit);
    this.bytes += unit.data.length;
    return false;
  }

  /** Stop collecting (the segment ended, the caller is in a hurry). The first reason stays. */
  end(why: string): true {
    this.endedBy ??= why;
    return true;
  }

  /** What was collected, with times relative to its first unit; undefined when nothing was. */
  result(): ClipSpan | undefined {
    const first = this.units[0];
    const last = this.units.at(-1);
    if (!first || !last) return undefined;
    const reasons: string[] = [];
    if (first.receivedAt > this.fromMs + EDGE_TOLERANCE_MS) reasons.push(`pre-roll short by ${((first.receivedAt - this.fromMs) / 1000).toFixed(1)} s (the stream started later or the ring was full)`);
    if (!this.passedEnd && last.receivedAt < this.toMs - EDGE_TOLERANCE_MS) reasons.push(`post-roll short by ${((this.toMs - last.receivedAt) / 1000).toFixed(1)} s: ${this.endedBy ?? 'still collecting'}`);
    if (this.lossy) reasons.push('access units were lost inside the span (the rest of their GOP is left out)');
    return {
      codec: this.selection.codec,
      units: this.units.map((u) => ({ data: u.data, keyframe: u.keyframe, ptsMs: u.streamMs - first.streamMs, receivedAt: u.receivedAt })),
      startMs: first.receivedAt,
      endMs: last.receivedAt,
      complete: reasons.length === 0,
      shortBecause: reasons.length ? reasons.join('; ') : undefined,
    };
  }
}
