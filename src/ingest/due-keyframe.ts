/**
 * Which keyframe a native camera analyzes, and when: it holds only the newest keyframe (older ones are
 * dropped undecoded), and once the camera is due — `intervalMs` after the last one it took — it hands over
 * the held keyframe if that one is newer than the last taken, otherwise the next keyframe the moment it
 * arrives. Pure: the caller passes the wall clock in, and arms a timer for `nextDueAt`.
 *
 * When keyframes come further apart than the interval (`longGop`), every keyframe is taken, and in between
 * the caller may decode forward from the last keyframe to its newest frame: `takeForward` says whether that
 * frame is due (gop-buffer.ts holds the access units). Due times chain from the previous take, not from a fixed grid, so a camera that was late (decoder
 * busy, GOP longer than the interval) is not analyzed twice in a row to catch up.
 */
export interface HeldKeyframe<T> {
  keyframe: T;
  /** Wall clock (epoch ms) when it arrived: the frame's timestamp. */
  receivedAt: number;
  /** Its time in the stream (RTP clock, ms). */
  streamMs: number;
}

/** Keyframe gaps remembered for the GOP estimate. */
const GOP_SAMPLES = 4;

export class DueKeyframe<T> {
  private held: HeldKeyframe<T> | undefined;
  private lastTakenStreamMs: number | undefined;
  private lastTakenAt: number | undefined;
  private previousStreamMs: number | undefined;
  /** Wall clock of the newest keyframe's arrival. */
  private lastKeyframeAt: number | undefined;
  private readonly gaps: number[] = [];

  /**
   * @param intervalMs analyze one keyframe per this long
   * @param toleranceMs a keyframe this much before the due time still counts (timestamp jitter): like the
   *   ffmpeg path's select, a 5 s GOP at a 5 s interval keeps every keyframe.
   */
  constructor(
    private readonly intervalMs: number,
    private readonly toleranceMs = Math.min(250, intervalMs * 0.05),
  ) {}

  /** When the next keyframe is due (epoch ms); undefined before the first take (due at once). */
  get nextDueAt(): number | undefined {
    return this.lastTakenAt === undefined ? undefined : this.lastTakenAt + this.intervalMs;
  }

  /** The typical keyframe gap seen (the largest of the last few), ms; undefined before two keyframes. */
  get gopMs(): number | undefined {
    return this.gaps.length === 0 ? undefined : Math.max(...this.gaps);
  }

  /** Keyframes come further apart than the interval: the camera is analyzed at the GOP's pace. */
  get longGop(): boolean {
    const gop = this.gopMs;
    return gop !== undefined && gop > this.intervalMs + this.toleranceMs;
  }

  /** A keyframe arrived: it replaces the held one. Returns it when the camera is due now (take it). */
  offer(keyframe: T, streamMs: number, now: number): HeldKeyframe<T> | undefined {
    if (this.previousStreamMs !== undefined) {
      const gap = streamMs - this.previousStreamMs;
      // A stream whose clock jumped (sender restart) says nothing about its GOP.
      if (gap > 0 && gap < 600_000) {
        this.gaps.push(gap);
        if (this.gaps.length > GOP_SAMPLES) this.gaps.shift();
      }
    }
    this.previousStreamMs = streamMs;
    this.lastKeyframeAt = now;
    this.held = { keyframe, receivedAt: now, streamMs };
    return this.takeIfDue(now);
  }

  /**
   * The due time came (the caller's timer): the held keyframe, if one newer than the last taken is held —
   * unless the next keyframe is expected about now, in which case its arrival is taken instead (fresher).
   */
  take(now: number): HeldKeyframe<T> | undefined {
    const held = this.held;
    const gop = this.gopMs;
    if (held && gop !== undefined && now >= held.receivedAt + gop - this.toleranceMs) return undefined;
    return this.takeIfDue(now);
  }

  /** The stream time of the last frame taken (keyframe or forward); undefined before the first. */
  get lastTakenMs(): number | undefined {
    return this.lastTakenStreamMs;
  }

  /**
   * The due time came and take() gave nothing: may a frame after the last keyframe, at `streamMs`, be taken
   * instead (decoded forward from the keyframe)? Yes when the camera is due, the frame is newer than the last
   * taken, and the next keyframe is not expected about now (it is fresher and cheaper: its arrival is taken).
   * A yes records the take, as take() does.
   */
  takeForward(streamMs: number, now: number): boolean {
    const due = this.nextDueAt;
    if (due !== undefined && now < due - this.toleranceMs) return false;
    if (this.lastTakenStreamMs !== undefined && streamMs <= this.lastTakenStreamMs) return false;
    const gop = this.gopMs;
    if (gop !== undefined && this.lastKeyframeAt !== undefined && now >= this.lastKeyframeAt + gop - this.toleranceMs) return false;
    this.lastTakenStreamMs = streamMs;
    this.lastTakenAt = now;
    if (this.held && this.held.streamMs <= streamMs) this.held = undefined;
    return true;
  }

  private takeIfDue(now: number): HeldKeyframe<T> | undefined {
    const held = this.held;
    if (!held) return undefined;
    const due = this.nextDueAt;
    // The tolerance is for keyframes arriving a little early; the due time itself stays on the interval, so
    // the cadence does not creep earlier by the tolerance on every take.
    if (due !== undefined && now < due - this.toleranceMs) return undefined;
    if (this.lastTakenStreamMs !== undefined && held.streamMs <= this.lastTakenStreamMs) return undefined;
    this.lastTakenStreamMs = held.streamMs;
    this.lastTakenAt = now;
    this.held = undefined; // its bytes are the decoder's now; nothing keeps a second copy
    return held;
  }

  /** A new connection: stream clocks restart, the first keyframe is due at once, the GOP is measured anew. */
  reset(): void {
    this.held = undefined;
    this.lastTakenStreamMs = undefined;
    this.lastTakenAt = undefined;
    this.previousStreamMs = undefined;
    this.lastKeyframeAt = undefined;
    this.gaps.length = 0;
  }
}
