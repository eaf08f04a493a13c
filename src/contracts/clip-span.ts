/**
 * A span of a camera's compressed video, as plain data: what a `transport: native` camera's packet ring
 * (ingest) hands to the clip recorder (evidence) through the pipeline's wiring, so evidence never imports
 * ingest. The units are one connection's stream at one resolution (a clip never splices across a reconnect
 * or a change of parameter sets), in decoding order, the first a keyframe carrying its parameter sets.
 */

export type ClipCodec = 'h264' | 'h265';

export interface ClipSpanUnit {
  /** One access unit, Annex-B (4-byte start codes); a keyframe starts with its VPS/SPS/PPS. */
  data: Buffer;
  keyframe: boolean;
  /** Presentation time on the stream's RTP clock, ms since the span's first unit (B-frames: may step back). */
  ptsMs: number;
  /** Wall clock of its arrival, epoch ms (the clock live frames are stamped with). */
  receivedAt: number;
}

export interface ClipSpan {
  codec: ClipCodec;
  units: ClipSpanUnit[];
  /** Wall-clock span the units cover (first and last arrival), epoch ms. */
  startMs: number;
  endMs: number;
  /** The whole requested span is there: pre-roll from a keyframe at or before its start, post-roll to its end, no loss. */
  complete: boolean;
  /** Why not complete (short pre-roll, reconnect, camera down, loss, byte cap); undefined when complete. */
  shortBecause?: string;
}

/**
 * Where a native camera's clips come from. `span` resolves once the stream has passed `toMs` with the
 * units covering [fromMs, toMs] — earlier, with what there is, when `hurry` settles, the connection ends
 * or the capture reaches its byte cap — or undefined when the camera holds nothing for the span (camera
 * down, ring empty, the span older than the ring). It never rejects.
 */
export interface ClipSpanSource {
  span(fromMs: number, toMs: number, hurry?: Promise<void>): Promise<ClipSpan | undefined>;
}
