import type { Box } from '../contracts/box.js';

/** A raw box straight out of a decoder, in model-input pixels, before NMS and mapping to the picture. */
export interface Proposal {
  classId: number;
  score: number;
  box: Box;
}

/** What every output decoder needs to know; everything comes from the manifest. */
export interface DecodeParams {
  /** Model input size in pixels (the letterboxed frame). */
  inputWidth: number;
  inputHeight: number;
  numClasses: number;
  /** Minimum score per class (length numClasses); anchors below are dropped before NMS. */
  thresholds: ArrayLike<number>;
  /** True when the network already applied sigmoid to objectness/class outputs. */
  sigmoidApplied: boolean;
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** Smallest threshold over all classes: a cheap early-out bound for a whole anchor. */
export function minThreshold(thresholds: ArrayLike<number>): number {
  let m = Infinity;
  for (let i = 0; i < thresholds.length; i++) m = Math.min(m, thresholds[i]!);
  return m;
}

/** Index of the largest of `count` class scores starting at `start` (raw or sigmoid: the argmax is the same). */
export function argmaxClass(data: Float32Array, start: number, count: number): number {
  let best = 0;
  let bestValue = data[start]!;
  for (let c = 1; c < count; c++) {
    const v = data[start + c]!;
    if (v > bestValue) {
      bestValue = v;
      best = c;
    }
  }
  return best;
}

/** Inverse of sigmoid, with the edges mapped to ±Infinity. */
export function logit(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  return Math.log(p / (1 - p));
}

/** Class probabilities are <= 1, so an objectness below the lowest class threshold means no class can pass. */
export function objectnessFloor(p: DecodeParams): number {
  const floor = minThreshold(p.thresholds);
  return p.sigmoidApplied ? floor : logit(floor);
}

/**
 * Best class and score (objectness × class) of the anchor row at `base` of an [A, 5+C] head (box, objectness,
 * C class scores), or undefined when it does not reach that class's threshold. Rows with objectness below
 * `objFloor` (objectnessFloor) are dropped before the class scan.
 */
export function scoreAnchor(data: Float32Array, base: number, p: DecodeParams, objFloor: number): { classId: number; score: number } | undefined {
  const objRaw = data[base + 4]!;
  if (objRaw < objFloor) return undefined;
  // Argmax on logits equals argmax on probabilities (sigmoid is monotonic).
  const best = argmaxClass(data, base + 5, p.numClasses);
  const bestRaw = data[base + 5 + best]!;
  const score = p.sigmoidApplied ? objRaw * bestRaw : sigmoid(objRaw) * sigmoid(bestRaw);
  return score < p.thresholds[best]! ? undefined : { classId: best, score };
}
