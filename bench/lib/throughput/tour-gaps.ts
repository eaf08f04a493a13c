/**
 * How often each toured camera was really analyzed: the gaps between one camera's analyzed frames, from the
 * frames' arrival times. Gaps that end inside the measured window count, and so does the gap still open at its
 * end (a camera not seen again for longer than its interval is late whether or not its next visit came in
 * time to be counted). A camera's first gap runs from the start of the tour. Pure.
 */
export interface TourGaps {
  cameras: number;
  /** Cameras with at least one analyzed frame in the window. */
  visited: number;
  /** Cameras whose every gap ending in the window, and the one open at its end, is at most `limitSec`. */
  onTime: number;
  limitSec: number;
  /** The largest gap of each camera, over the cameras: p50, p95, max, s. */
  largestGapSec: { p50: number; p95: number; max: number };
  /** The camera with the largest gap (for the report). */
  worstCamera: string | undefined;
}

export function tourGaps(frames: ReadonlyMap<string, readonly number[]>, cameraIds: readonly string[], w: { tourStartMs: number; windowStartMs: number; windowEndMs: number }, limitSec: number): TourGaps {
  const largest: number[] = [];
  let visited = 0;
  let onTime = 0;
  let worst: { id: string; gap: number } | undefined;
  for (const id of cameraIds) {
    let prev = w.tourStartMs;
    let max = 0;
    let seen = false;
    for (const t of [...(frames.get(id) ?? [])].sort((a, b) => a - b)) {
      if (t > w.windowEndMs) break;
      if (t >= w.windowStartMs) {
        seen = true;
        max = Math.max(max, t - prev);
      }
      prev = t;
    }
    max = Math.max(max, w.windowEndMs - prev) / 1000;
    largest.push(max);
    if (seen) visited++;
    if (seen && max <= limitSec) onTime++;
    if (!worst || max > worst.gap) worst = { id, gap: max };
  }
  largest.sort((a, b) => a - b);
  const q = (p: number): number => (largest.length === 0 ? Number.NaN : largest[Math.min(largest.length - 1, Math.ceil(p * largest.length) - 1)]!);
  return { cameras: cameraIds.length, visited, onTime, limitSec, largestGapSec: { p50: q(0.5), p95: q(0.95), max: largest.at(-1) ?? Number.NaN }, worstCamera: worst?.id };
}
