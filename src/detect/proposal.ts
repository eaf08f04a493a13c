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
