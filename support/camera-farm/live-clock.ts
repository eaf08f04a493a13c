/**
 * Where a farm mount's live stream is at a given wall-clock instant. Every mount loops the same pictures, each
 * at its own phase, so at any instant the mounts are spread over the GOP as independent cameras are: a visit
 * lands mid-GOP and waits for the next keyframe as it would at a real camera. Pure.
 */

/** 1/φ: consecutive mounts' phases are spread evenly over the loop whatever the number of mounts. */
const GOLDEN = 0.6180339887498949;

/** Mount k's (1-based) offset into the loop, ms. */
export function mountPhaseMs(mount: number, loopMs: number): number {
  return Math.floor(((mount * GOLDEN) % 1) * loopMs);
}

/** The mount's picture count since the epoch: the stream position that follows the wall clock. */
export function livePicture(nowMs: number, phaseMs: number, fps: number): number {
  return Math.floor(((nowMs + phaseMs) * fps) / 1000);
}
