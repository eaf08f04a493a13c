import type { ClipCodec, ClipSpan, ClipSpanSource } from '../contracts/clip-span.js';
import { PacketRing, type PacketRingOptions, type PacketRingStats } from './packet-ring.js';
import { DEFAULT_CAPTURE_MAX_BYTES, SpanCapture } from './span-capture.js';

/**
 * A native camera's clip source: its packet ring (the pre-roll) and the clips being collected from it,
 * answered as promises. The camera source pushes every access unit and says when the connection ends; the
 * pipeline hands this object to the evidence clip recorder as a plain ClipSpanSource.
 */

export interface ClipSpansOptions extends PacketRingOptions {
  /** Cap of one clip being collected. Default DEFAULT_CAPTURE_MAX_BYTES. */
  captureMaxBytes?: number;
}

/** What the native source knows of an access unit. */
export interface ClipSpansUnit {
  codec: ClipCodec;
  data: Buffer;
  keyframe: boolean;
  timestampMs: number;
  parameterSets: { sps: Buffer[] };
}

interface Waiting {
  capture: SpanCapture;
  resolve: (span: ClipSpan | undefined) => void;
}

export class ClipSpans implements ClipSpanSource {
  private readonly ring: PacketRing;
  private readonly waiting = new Set<Waiting>();
  private readonly captureMaxBytes: number;
  private closed = false;

  constructor(opts: ClipSpansOptions) {
    this.ring = new PacketRing(opts);
    this.captureMaxBytes = opts.captureMaxBytes ?? DEFAULT_CAPTURE_MAX_BYTES;
  }

  /** Bytes the ring holds (clips being collected may pin older ones as well). */
  get bytes(): number {
    return this.ring.bytes;
  }

  get stats(): PacketRingStats & { collecting: number } {
    return { ...this.ring.stats, collecting: this.waiting.size };
  }

  push(au: ClipSpansUnit, receivedAt: number, lost: boolean): void {
    if (this.closed) return;
    const unit = { data: au.data, keyframe: au.keyframe, streamMs: au.timestampMs, receivedAt };
    const segmentId = this.ring.push(unit, au.codec, au.parameterSets.sps.at(-1), lost);
    for (const w of this.waiting) if (w.capture.offer(unit, segmentId)) this.finish(w);
  }

  /** The connection ended (camera down, reconnect): clips being collected end with what they have. */
  connectionEnded(why: string): void {
    this.ring.close();
    for (const w of this.waiting) {
      w.capture.end(why);
      this.finish(w);
    }
  }

  /** The camera stopped: every clip being collected ends, later requests get nothing. */
  close(): void {
    this.connectionEnded('the camera stopped');
    this.closed = true;
  }

  span(fromMs: number, toMs: number, hurry?: Promise<void>): Promise<ClipSpan | undefined> {
    const selection = this.closed ? undefined : this.ring.select(fromMs, toMs);
    if (!selection) return Promise.resolve(undefined);
    const capture = new SpanCapture(fromMs, toMs, selection, this.captureMaxBytes);
    if (capture.done) return Promise.resolve(capture.result());
    return new Promise((resolve) => {
      const w: Waiting = { capture, resolve };
      this.waiting.add(w);
      void hurry?.then(() => {
        capture.end('collecting was cut short (the pipeline is stopping)');
        this.finish(w);
      });
    });
  }

  private finish(w: Waiting): void {
    if (!this.waiting.delete(w)) return;
    w.resolve(w.capture.result());
  }
}
