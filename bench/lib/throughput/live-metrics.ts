/**
 * Interval misses of a live run. Pure.
 *
 * A camera is due for analysis every `intervalSec`. An *interval miss* is either
 *  - a gap between two consecutive analyzed frames of the camera (their arrival times) longer than
 *    intervalSec × 1.5, or the same open gap at the end of the window; a gap of g counts as the number of
 *    frames that should have fallen inside it: round(g / spacing) − 1, at least 1, where spacing is the
 *    camera stream's normal spacing (in keyframe mode the interval rounds up to the GOP: 5 s → 6 s at GOP 2 s);
 *  - or a frame replaced in the mailbox (a newer frame of the camera arrived before the detector took it).
 * A replacement normally also opens a gap, so per camera the misses are max(gap misses, replacements), never
 * both. The ratio is misses / (analyzed frames + misses), over the frames whose arrival falls in the window.
 */

export interface MissInput {
  /** Camera id → arrival times (epoch ms) of its analyzed frames, any order, may start before the window. */
  analyzed: ReadonlyMap<string, readonly number[]>;
  /** Camera id → arrival times of its frames replaced in the mailbox. */
  replaced: ReadonlyMap<string, readonly number[]>;
  /** Every camera of the run (a camera that analyzed nothing still counts). */
  cameras: readonly string[];
  windowStartMs: number;
  windowEndMs: number;
  intervalSec: number;
  /** Normal spacing of analyzed frames, ms; default max(interval, median gap observed). */
  spacingMs?: number;
}

export interface MissResult {
  /** Analyzed frames that arrived within the window. */
  analyzed: number;
  /** Slots lost to gaps over the threshold. */
  gapMisses: number;
  /** Frames replaced in the mailbox within the window. */
  replaced: number;
  /** Per camera max(gapMisses, replaced), summed. */
  misses: number;
  ratio: number;
  /** Cameras with at least one miss. */
  camerasMissing: number;
  worstGapMs: number;
  spacingMs: number;
  thresholdMs: number;
}

export function intervalMisses(i: MissInput): MissResult {
  const intervalMs = i.intervalSec * 1000;
  const thresholdMs = intervalMs * 1.5;
  const sorted = new Map<string, number[]>();
  for (const cam of i.cameras) sorted.set(cam, [...(i.analyzed.get(cam) ?? [])].sort((a, b) => a - b));

  let spacingMs = i.spacingMs;
  if (spacingMs === undefined) {
    const gaps: number[] = [];
    for (const ts of sorted.values()) for (let k = 1; k < ts.length; k++) gaps.push(ts[k]! - ts[k - 1]!);
    gaps.sort((a, b) => a - b);
    const med = gaps.length ? gaps[Math.floor((gaps.length - 1) / 2)]! : intervalMs;
    spacingMs = Math.max(intervalMs, med);
  }
  // A gap at or under the threshold is never a miss, even if the spacing estimate is above the threshold.
  const missesIn = (gap: number): number => (gap > thresholdMs ? Math.max(1, Math.round(gap / spacingMs) - 1) : 0);

  let analyzed = 0;
  let gapMisses = 0;
  let replaced = 0;
  let misses = 0;
  let camerasMissing = 0;
  let worstGapMs = 0;
  for (const cam of i.cameras) {
    const ts = sorted.get(cam)!;
    let camGap = 0;
    let prev: number | undefined;
    for (const t of ts) {
      if (t > i.windowEndMs) break;
      if (t >= i.windowStartMs) {
        analyzed++;
        // The gap before the first frame in the window counts from the last frame before it, or from the
        // window start when the camera had none.
        const gap = t - (prev ?? i.windowStartMs);
        worstGapMs = Math.max(worstGapMs, gap);
        camGap += missesIn(gap);
      }
      prev = t;
    }
    const trailing = i.windowEndMs - Math.max(prev ?? i.windowStartMs, i.windowStartMs);
    if (trailing > thresholdMs) {
      worstGapMs = Math.max(worstGapMs, trailing);
      camGap += Math.max(1, Math.floor(trailing / spacingMs));
    }
    const camReplaced = (i.replaced.get(cam) ?? []).filter((t) => t >= i.windowStartMs && t <= i.windowEndMs).length;
    gapMisses += camGap;
    replaced += camReplaced;
    const m = Math.max(camGap, camReplaced);
    misses += m;
    if (m > 0) camerasMissing++;
  }
  const slots = analyzed + misses;
  return { analyzed, gapMisses, replaced, misses, ratio: slots > 0 ? misses / slots : Number.NaN, camerasMissing, worstGapMs, spacingMs, thresholdMs };
}
