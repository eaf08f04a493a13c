import type { Box } from '../contracts/box.js';

/** Axis-aligned box helpers; they work in any unit, as long as both boxes share it. */

export function boxArea(b: Readonly<Box>): number {
  return Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]);
}

export function intersectionArea(a: Readonly<Box>, b: Readonly<Box>): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  return w > 0 && h > 0 ? w * h : 0;
}

/** Intersection over union; 0 for two empty boxes (instead of NaN). */
export function iou(a: Readonly<Box>, b: Readonly<Box>): number {
  const inter = intersectionArea(a, b);
  if (inter === 0) return 0;
  return inter / (boxArea(a) + boxArea(b) - inter);
}

/** Box from center, width and height. */
export function cxcywhToXyxy(cx: number, cy: number, w: number, h: number): Box {
  const hw = w / 2;
  const hh = h / 2;
  return [cx - hw, cy - hh, cx + hw, cy + hh];
}

/** Clip each coordinate to [lo, hi] (defaults 0..1). */
export function clipBox(b: Readonly<Box>, lo = 0, hi = 1): Box {
  const c = (v: number) => (v < lo ? lo : v > hi ? hi : v);
  return [c(b[0]), c(b[1]), c(b[2]), c(b[3])];
}
