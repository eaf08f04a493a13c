/**
 * Cuts a byte stream of packed raw frames (ffmpeg's rawvideo on a pipe) into whole frames. Pipe chunks
 * (64 KiB) never line up with frames, so bytes are copied once into a fresh frame-sized buffer that the
 * consumer then owns.
 */
export class FrameSplitter {
  private current: Buffer | undefined;
  private filled = 0;

  constructor(readonly frameBytes: number) {
    if (!Number.isInteger(frameBytes) || frameBytes <= 0) throw new RangeError(`frameBytes must be a positive integer, got ${frameBytes}`);
  }

  /** Returns the frames completed by this chunk (often none, sometimes several). */
  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      this.current ??= Buffer.allocUnsafe(this.frameBytes);
      const n = Math.min(this.frameBytes - this.filled, chunk.length - offset);
      chunk.copy(this.current, this.filled, offset, offset + n);
      this.filled += n;
      offset += n;
      if (this.filled === this.frameBytes) {
        out.push(this.current);
        this.current = undefined;
        this.filled = 0;
      }
    }
    return out;
  }

  /** Bytes of an incomplete frame held back (non-zero at exit means ffmpeg died mid-frame). */
  get pendingBytes(): number {
    return this.filled;
  }
}
