/**
 * Puts RTP packets that UDP delivered out of order back in sequence before the SequenceTracker sees them: it
 * takes a packet older than the highest one seen for a late duplicate and drops it, and the gap left before
 * the newer one has already broken that access unit. Packets after a gap wait here, briefly and in bounded
 * number, for the missing one; when it does not come they go on and the tracker counts the loss, as over TCP.
 * Thresholds are RFC 3550 A.1's, as the tracker's: a jump of 3000 or more ahead, or more than 100 behind,
 * is a restarted sender.
 */

const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;

export interface ReorderOptions<T> {
  /** Each packet once, in sequence order where the network allowed it. */
  release: (item: T, arrivedAt: number) => void;
  /** Most packets held waiting for a gap to fill (a keyframe is ~50–100 packets). */
  maxPackets: number;
  /** Longest a packet waits for the one before it. */
  maxWaitMs: number;
  /** Most bytes held (datagrams can be 64 KiB each), as measured by `bytes`. */
  maxBytes?: number;
  bytes?: (item: T) => number;
}

export interface ReorderStats {
  /** Packets that came after a later one and were put back in place. */
  reordered: number;
  /** Gaps given up on (the packets after them went on; the tracker counts the loss). */
  gapsSkipped: number;
  /** Second copies of a packet already waiting here (dropped). */
  duplicates: number;
}

export class ReorderBuffer<T> {
  /** The sequence number the next in-order packet has; undefined before the first. */
  private next: number | undefined;
  private readonly held = new Map<number, { item: T; at: number; bytes: number }>();
  private heldBytes = 0;
  readonly stats: ReorderStats = { reordered: 0, gapsSkipped: 0, duplicates: 0 };

  constructor(private readonly opts: ReorderOptions<T>) {}

  /** Packets waiting for a gap before them to fill. */
  get waiting(): number {
    return this.held.size;
  }

  /** Bytes of the packets waiting (with `bytes`). */
  get bufferedBytes(): number {
    return this.heldBytes;
  }

  push(seq: number, item: T, now: number): void {
    if (this.next === undefined) return this.passOn(seq, item, now);
    const ahead = (seq - this.next) & 0xffff;
    if (ahead === 0) {
      if (this.held.size > 0) this.stats.reordered++;
      this.passOn(seq, item, now);
      return this.drain();
    }
    if (ahead < MAX_DROPOUT) {
      if (this.held.has(seq)) {
        this.stats.duplicates++;
        return;
      }
      const bytes = this.opts.bytes?.(item) ?? 0;
      this.held.set(seq, { item, at: now, bytes });
      this.heldBytes += bytes;
      return this.expire(now);
    }
    if (0x10000 - ahead <= MAX_MISORDER) {
      // Too late (its gap was given up on) or a duplicate of one passed on: the tracker drops it and says so.
      return this.opts.release(item, now);
    }
    // A restarted sender: what waits belongs to the old stream, and the new one starts here.
    this.flush();
    this.passOn(seq, item, now);
  }

  /** Gives up on gaps whose packets after them have waited long enough, or that hold too many packets. */
  expire(now: number): void {
    const maxBytes = this.opts.maxBytes ?? Infinity;
    while (this.held.size > 0 && (this.held.size > this.opts.maxPackets || this.heldBytes > maxBytes || this.oldestAt() + this.opts.maxWaitMs <= now)) {
      this.next = this.nearestHeld();
      this.stats.gapsSkipped++;
      this.drain();
    }
  }

  /** Everything waiting goes on, in order (the session ends, or the sender restarted). */
  flush(): void {
    while (this.held.size > 0) {
      this.next = this.nearestHeld();
      this.drain();
    }
  }

  private passOn(seq: number, item: T, at: number): void {
    this.next = (seq + 1) & 0xffff;
    this.opts.release(item, at);
  }

  private drain(): void {
    for (let h = this.held.get(this.next!); h; h = this.held.get(this.next!)) {
      this.held.delete(this.next!);
      this.heldBytes -= h.bytes;
      this.passOn(this.next!, h.item, h.at);
    }
  }

  private nearestHeld(): number {
    let best = -1;
    let bestAhead = Infinity;
    for (const seq of this.held.keys()) {
      const ahead = (seq - this.next!) & 0xffff;
      if (ahead < bestAhead) {
        bestAhead = ahead;
        best = seq;
      }
    }
    return best;
  }

  private oldestAt(): number {
    let oldest = Infinity;
    for (const h of this.held.values()) if (h.at < oldest) oldest = h.at;
    return oldest;
  }
}
