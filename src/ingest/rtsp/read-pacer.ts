/**
 * Reads many held-open cameras' sockets in one batch every few tens of milliseconds instead of on every
 * packet. Measured with 12 cameras at 512 kbit/s: a camera's packets woke the process about 47 times a
 * second (one socket read each, ≈ 60 µs of CPU per wake-up in Node: the read, its Buffer, the stream
 * machinery), which cost more than parsing everything read. Paused sockets leave the packets in the kernel's
 * receive buffer; every `periodMs` all of them are resumed together and paused again right after the event
 * loop's poll phase has drained them, so one wake-up serves every camera and each read takes what a camera
 * sent since the last tick. Analysis runs seconds apart: a delay of `periodMs` changes nothing downstream.
 */

/** The part of a net.Socket the pacer drives (a fake in unit tests). */
export interface PacedSocket {
  pause(): unknown;
  resume(): unknown;
  readonly destroyed: boolean;
}

export const DEFAULT_READ_PACING_MS = 100;
/** One socket read at most; libuv reads again at once while more is waiting. */
const READ_BUFFER_BYTES = 64 * 1024;

export class ReadPacer {
  private readonly sockets = new Set<PacedSocket>();
  private timer: NodeJS.Timeout | undefined;
  private buffer: Buffer | undefined;

  constructor(
    readonly periodMs = DEFAULT_READ_PACING_MS,
    private readonly timers: { setInterval: typeof setInterval; clearInterval: typeof clearInterval; setImmediate: (fn: () => void) => unknown } = { setInterval, clearInterval, setImmediate },
  ) {}

  /**
   * Where the sockets of this pacer read into (net.connect's `onread`): one buffer for all of them, since each
   * read is handled to the end before the next begins. What is kept past a read must be copied out of it.
   */
  get readBuffer(): Buffer {
    return (this.buffer ??= Buffer.allocUnsafeSlow(READ_BUFFER_BYTES));
  }

  get size(): number {
    return this.sockets.size;
  }

  /** From now on the socket is read only at the pacer's ticks. */
  add(socket: PacedSocket): void {
    if (this.periodMs === 0 || this.sockets.has(socket) || socket.destroyed) return;
    this.sockets.add(socket);
    socket.pause();
    if (!this.timer) {
      this.timer = this.timers.setInterval(() => this.tick(), this.periodMs);
      // Cameras keep the process alive on their own; the pacer never does.
      this.timer.unref?.();
    }
  }

  /** Reads the socket as data comes again (a request awaits its answer, or the session ends). */
  remove(socket: PacedSocket): void {
    if (!this.sockets.delete(socket)) return;
    if (!socket.destroyed) socket.resume();
    if (this.sockets.size === 0 && this.timer) {
      this.timers.clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private tick(): void {
    const open: PacedSocket[] = [];
    for (const s of this.sockets) {
      if (s.destroyed) {
        this.sockets.delete(s);
        continue;
      }
      s.resume();
      open.push(s);
    }
    // setImmediate runs after the poll phase in which the resumed sockets were read.
    if (open.length > 0)
      this.timers.setImmediate(() => {
        for (const s of open) if (this.sockets.has(s) && !s.destroyed) s.pause();
      });
    if (this.sockets.size === 0 && this.timer) {
      this.timers.clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
