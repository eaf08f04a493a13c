/**
 * Meters of how well one worker keeps up. The scheduling itself is the pipeline's FrameMailbox: one slot per
 * camera, a fresher frame replaces a waiting one, and the detector takes the longest-waiting cameras first.
 * A source hands a frame over when it is due (one per interval), so "longest waiting" is "longest overdue":
 * under overload every camera's analyses slow down alike instead of some cameras starving. These helpers
 * measure how well that goes: interval misses per camera, and the worker's budget (capacity vs demand).
 */

/** Per camera: when it was last analyzed, and whether an analysis came later than its interval allows. */
export class IntervalTracker {
  private readonly last = new Map<string, number>();
  readonly misses = new Map<string, number>();

  /** @param tolerance slack over the interval before an analysis counts as late (keyframe decode rounds the interval up to the GOP). */
  constructor(readonly tolerance = 0.5) {}

  /** Records an analysis at `at` (epoch ms); true when it came late (a miss). */
  record(cameraId: string, intervalMs: number, at: number): boolean {
    const previous = this.last.get(cameraId);
    this.last.set(cameraId, at);
    if (previous === undefined || at - previous <= intervalMs * (1 + this.tolerance)) return false;
    this.misses.set(cameraId, (this.misses.get(cameraId) ?? 0) + 1);
    return true;
  }

  /** Forgets the last analysis (the camera went down: the next analysis starts a new series). */
  reset(cameraId: string): void {
    this.last.delete(cameraId);
  }

  forget(cameraId: string): void {
    this.last.delete(cameraId);
    this.misses.delete(cameraId);
  }

  ageMs(cameraId: string, now: number): number | undefined {
    const t = this.last.get(cameraId);
    return t === undefined ? undefined : now - t;
  }
}

/**
 * The worker's inference budget: an exponentially weighted average of detector milliseconds per frame,
 * measured on every batch, and from it the frames per second one detector (one call in flight) can take.
 */
export class BudgetMeter {
  private msPerFrame: number | undefined;

  constructor(private readonly alpha = 0.1) {}

  batch(size: number, ms: number): void {
    if (size <= 0 || !Number.isFinite(ms) || ms < 0) return;
    const per = ms / size;
    this.msPerFrame = this.msPerFrame === undefined ? per : this.msPerFrame + this.alpha * (per - this.msPerFrame);
  }

  /** Measured ms per analyzed frame, or undefined before the first batch. */
  get perFrameMs(): number | undefined {
    return this.msPerFrame;
  }

  capacityFps(): number | undefined {
    return this.msPerFrame === undefined ? undefined : 1000 / Math.max(0.001, this.msPerFrame);
  }

  /** Demand of cameras analyzed every `intervalsMs`: frames per second. */
  static demandFps(intervalsMs: Iterable<number>): number {
    let fps = 0;
    for (const ms of intervalsMs) if (ms > 0) fps += 1000 / ms;
    return fps;
  }

  /** Demand over capacity: above 1 the worker cannot keep every camera on its interval and degrades fairly. */
  utilization(demandFps: number): number | undefined {
    const c = this.capacityFps();
    return c === undefined ? undefined : demandFps / c;
  }
}
