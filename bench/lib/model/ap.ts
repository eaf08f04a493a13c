import type { Box } from '../../../src/contracts/box.js';
import { iou } from '../../../src/geometry/box.js';

/** One detection of one class, in the same coordinates as the ground truth (normalized picture). */
export interface ScoredBox {
  /** Index of the image it was found in. */
  image: number;
  score: number;
  box: Box;
}

/** IoU thresholds of COCO's AP50:95. */
export const COCO_IOUS: readonly number[] = Array.from({ length: 10 }, (_, i) => 0.5 + 0.05 * i);

export interface ClassEval {
  nGt: number;
  /** AP at each threshold of `ious`. */
  ap: number[];
  ap50: number;
  ap5095: number;
  /** Detections sorted by score (descending) and whether each is a true positive at IoU 0.5. */
  scores: number[];
  tp50: boolean[];
}

/**
 * Mark detections as true/false positives at one IoU threshold, COCO-style: within each image, highest
 * score first, each detection takes the unmatched ground-truth box it overlaps most (IoU ≥ threshold).
 * `dets` must be sorted by score, descending. Returns one flag per detection, in the same order.
 */
export function matchDetections(dets: readonly ScoredBox[], gts: ReadonlyMap<number, readonly Box[]>, iouThr: number): boolean[] {
  const used = new Map<number, boolean[]>();
  return dets.map((d) => {
    const g = gts.get(d.image);
    if (!g || g.length === 0) return false;
    let u = used.get(d.image);
    if (!u) {
      u = new Array<boolean>(g.length).fill(false);
      used.set(d.image, u);
    }
    let best = -1;
    let bestIou = iouThr;
    for (let k = 0; k < g.length; k++) {
      if (u[k]) continue;
      const v = iou(d.box, g[k]!);
      if (v >= bestIou) {
        bestIou = v;
        best = k;
      }
    }
    if (best < 0) return false;
    u[best] = true;
    return true;
  });
}

/** Area under the precision envelope, sampled at 101 recall points (COCO's interpolation). */
export function averagePrecision(tp: readonly boolean[], nGt: number): number {
  if (nGt === 0) return NaN;
  const { precision, recall } = prCurve(tp, nGt);
  // Precision envelope: best precision at this recall or any higher one.
  const env = [...precision];
  for (let i = env.length - 2; i >= 0; i--) env[i] = Math.max(env[i]!, env[i + 1]!);
  let sum = 0;
  let k = 0;
  for (let r = 0; r <= 100; r++) {
    const target = r / 100;
    while (k < recall.length && recall[k]! < target) k++;
    sum += k < env.length ? env[k]! : 0;
  }
  return sum / 101;
}

/** Cumulative precision and recall after each detection (detections in descending score order). */
export function prCurve(tp: readonly boolean[], nGt: number): { precision: number[]; recall: number[] } {
  const precision: number[] = [];
  const recall: number[] = [];
  let t = 0;
  tp.forEach((hit, i) => {
    if (hit) t++;
    precision.push(t / (i + 1));
    recall.push(nGt > 0 ? t / nGt : 0);
  });
  return { precision, recall };
}

/** AP at each IoU threshold for one class. */
export function evaluateClass(dets: readonly ScoredBox[], gts: ReadonlyMap<number, readonly Box[]>, ious = COCO_IOUS): ClassEval {
  // Stable sort: ties keep image order, so results do not depend on the engine's sort.
  const sorted = [...dets].sort((a, b) => b.score - a.score);
  let nGt = 0;
  for (const g of gts.values()) nGt += g.length;
  const ap = ious.map((t) => averagePrecision(matchDetections(sorted, gts, t), nGt));
  const tp50 = matchDetections(sorted, gts, 0.5);
  return {
    nGt,
    ap,
    ap50: ap[0] ?? NaN,
    ap5095: ap.reduce((s, v) => s + v, 0) / ap.length,
    scores: sorted.map((d) => d.score),
    tp50,
  };
}

/** Precision and recall (IoU 0.5) of the detections scoring at least `threshold` — an operating point. */
export function operatingPoint(e: ClassEval, threshold: number): { precision: number; recall: number; tp: number; fp: number } {
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < e.scores.length && e.scores[i]! >= threshold; i++) {
    if (e.tp50[i]) tp++;
    else fp++;
  }
  return { precision: tp + fp > 0 ? tp / (tp + fp) : NaN, recall: e.nGt > 0 ? tp / e.nGt : NaN, tp, fp };
}

/**
 * Ground-truth boxes found at an operating threshold, counted by place rather than by overlap: a box is found
 * when a detection scoring at least `threshold` in the same image has its centre inside it. A diagnostic beside
 * AP50 for loosely drawn labels (a box several times the flame it marks), where a detection on the right spot
 * has IoU < 0.5 and counts as a miss.
 */
export function boxesFoundByCentre(dets: readonly ScoredBox[], gts: ReadonlyMap<number, readonly Box[]>, threshold: number): { found: number; total: number } {
  const centres = new Map<number, [number, number][]>();
  for (const d of dets) {
    if (d.score < threshold) continue;
    const list = centres.get(d.image) ?? [];
    list.push([(d.box[0] + d.box[2]) / 2, (d.box[1] + d.box[3]) / 2]);
    centres.set(d.image, list);
  }
  let found = 0;
  let total = 0;
  for (const [image, boxes] of gts) {
    const cs = centres.get(image) ?? [];
    for (const g of boxes) {
      total++;
      if (cs.some(([x, y]) => x >= g[0] && x <= g[2] && y >= g[1] && y <= g[3])) found++;
    }
  }
  return { found, total };
}
