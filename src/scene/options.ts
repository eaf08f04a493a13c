/** Tunables of the scene model; times in seconds, distances in cellDistance units. */
export interface SceneOptions {
  /** Time constant of the fast model: how quickly it settles on what is in front of the camera now. */
  fastTauSec: number;
  /** Time constant of the reference where the scene still looks like it (slow light drift). */
  slowTauSec: number;
  /** The same while the picture shows nothing new and nobody (the zone seen empty): a quicker refresh. */
  emptyTauSec: number;
  /** A cell differs from the reference above this distance ... */
  diffHigh: number;
  /** ... and keeps differing, once static, above this one (hysteresis against flicker at the threshold). */
  diffLow: number;
  /** A cell is still (not moving) while the picture stays within this distance of the fast model. */
  stillMax: number;
  /** A cell counts as static foreground after differing and being still this long. */
  minStaticSec: number;
  /** Smallest static region, in cells (8×8 pixels at 416²). */
  minCells: number;
  /** This fraction of the unmasked cells differing at once is a change of light or view: re-reference. */
  globalFraction: number;
  /** ... or the median cell differs this much (every cell a little: a new light, colour gone under IR). */
  globalMedian: number;
  /** A person or vehicle box masks its cells for this long after it was last seen (detector flicker). */
  maskHoldSec: number;
  /** A static object staying this long becomes part of the reference (the new normal). */
  absorbAfterSec: number;
  /** A region track not seen again within this long is forgotten. */
  trackGraceSec: number;
  /** A person is attending a region when their feet are within this many region sizes of its box. */
  attendDistance: number;
}

export const DEFAULT_SCENE_OPTIONS: SceneOptions = {
  fastTauSec: 1.5,
  slowTauSec: 10,
  emptyTauSec: 5,
  diffHigh: 0.5,
  diffLow: 0.35,
  stillMax: 0.4,
  minStaticSec: 2,
  minCells: 8,
  globalFraction: 0.2,
  globalMedian: 0.25,
  maskHoldSec: 8,
  absorbAfterSec: 7200,
  trackGraceSec: 30,
  attendDistance: 1,
};

/** Classes that move: they never enter the reference, and never form a region themselves. */
export const PERSON_LABELS: ReadonlySet<string> = new Set(['person']);
export const VEHICLE_LABELS: ReadonlySet<string> = new Set(['bicycle', 'car', 'motorcycle', 'bus', 'truck']);
