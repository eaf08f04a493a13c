import type { Frame } from '../contracts/frame.js';

/**
 * The buffer behind one `frames()` async iterator. Live sources drop the oldest frame when the consumer
 * falls behind (a stale picture is worth less than a fresh one); files read as fast as possible report
 * "full" instead, and the source pauses ffmpeg's pipe until the consumer catches up.
 */
export class FrameQueue implements AsyncIterableIterator<Frame> {
  private readonly buffer: Frame[] = [];
  private waiter: ((r: IteratorResult<Frame>) => void) | undefined;
  private closed = false;
  /** Frames thrown away because the consumer was slow (live only). */
  dropped = 0;

  constructor(
    private readonly max: number,
    private readonly dropOldest: boolean,
    /** Called when a full queue has room again (back-pressure release). */
    private readonly onRoom: () => void,
    private readonly onClose: (q: FrameQueue) => void,
  ) {}

  /** Adds a frame; returns true when the queue is now full (the producer should pause). */
  push(frame: Frame): boolean {
    if (this.closed) return false;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w({ value: frame, done: false });
      return false;
    }
    this.buffer.push(frame);
    if (this.dropOldest) {
      while (this.buffer.length > this.max) {
        this.buffer.shift();
        this.dropped++;
      }
      return false;
    }
    return this.buffer.length >= this.max;
  }

  get full(): boolean {
    return !this.dropOldest && this.buffer.length >= this.max;
  }

  /** Ends the iteration once the buffered frames are consumed. */
  end(): void {
    this.closed = true;
    if (this.waiter && this.buffer.length === 0) {
      const w = this.waiter;
      this.waiter = undefined;
      w({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<Frame>> {
    const frame = this.buffer.shift();
    if (frame) {
      if (!this.dropOldest && this.buffer.length === this.max - 1) this.onRoom();
      return Promise.resolve({ value: frame, done: false });
    }
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiter = resolve));
  }

  /** `break` in a for-await loop: stop buffering for this consumer. */
  return(): Promise<IteratorResult<Frame>> {
    this.buffer.length = 0;
    this.end();
    this.onClose(this);
    this.onRoom();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Frame> {
    return this;
  }
}
