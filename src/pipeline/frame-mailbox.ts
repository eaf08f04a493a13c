import type { Frame } from '../contracts/frame.js';

interface Slot {
  frame: Frame;
  /** When the frame entered the mailbox: the oldest waiting camera is analyzed first. */
  since: number;
  settle: (analyzed: boolean) => void;
}

/**
 * Holds at most one frame per camera between decode and inference.
 *
 * Live cameras: a newer frame replaces an older one still waiting (the old one is reported as a miss), so
 * an overloaded worker analyzes the freshest picture of every camera instead of building a backlog.
 * Files analyzed at full speed await `submit()`, which gives back-pressure and drops nothing.
 * `take()` hands out the longest-waiting cameras first, so overload degrades fairly.
 */
export class FrameMailbox {
  private readonly slots = new Map<string, Slot>();
  private wake: (() => void) | undefined;
  private closed = false;
  replaced = 0;

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Resolves true when the frame was analyzed, false when a newer frame of the same camera replaced it. */
  submit(frame: Frame): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    const previous = this.slots.get(frame.cameraId);
    if (previous) {
      this.replaced++;
      previous.settle(false);
    }
    return new Promise<boolean>((resolve) => {
      this.slots.set(frame.cameraId, { frame, since: previous?.since ?? this.now(), settle: resolve });
      this.wake?.();
    });
  }

  get size(): number {
    return this.slots.size;
  }

  /** Up to `max` frames, longest-waiting camera first; each comes with a callback to report it done. */
  take(max: number): Array<{ frame: Frame; done: () => void; waitedMs: number }> {
    const now = this.now();
    const picked = [...this.slots.values()].sort((a, b) => a.since - b.since).slice(0, max);
    for (const slot of picked) this.slots.delete(slot.frame.cameraId);
    return picked.map((s) => ({ frame: s.frame, done: () => s.settle(true), waitedMs: now - s.since }));
  }

  /** Resolves when at least one frame is waiting (or the mailbox is closed). */
  async ready(): Promise<void> {
    while (this.slots.size === 0 && !this.closed) {
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }

  close(): void {
    this.closed = true;
    for (const slot of this.slots.values()) slot.settle(false);
    this.slots.clear();
    this.wake?.();
  }

  get isClosed(): boolean {
    return this.closed;
  }
}
