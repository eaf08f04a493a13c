import { describe, expect, it } from 'vitest';
import { averagePrecision, boxesFoundByCentre, evaluateClass, matchDetections, operatingPoint, prCurve, type ScoredBox } from '../../bench/lib/model/ap.js';
import { prCurvesSvg } from '../../bench/lib/model/pr-svg.js';
import type { Box } from '../../src/contracts/box.js';

const A: Box = [0, 0, 0.2, 0.2];
const B: Box = [0.5, 0.5, 0.7, 0.7];
const C: Box = [0.1, 0.1, 0.3, 0.3];
const far: Box = [0.8, 0.0, 0.9, 0.1];
const gts = new Map<number, Box[]>([
  [0, [A, B]],
  [1, [C]],
]);
const dets: ScoredBox[] = [
  { image: 0, score: 0.9, box: A },
  { image: 0, score: 0.8, box: A }, // duplicate: A is taken
  { image: 1, score: 0.7, box: C },
  { image: 0, score: 0.6, box: far },
];

describe('bench AP (COCO-style matching, 101-point interpolation)', () => {
  it('matches each ground-truth box once, highest score first', () => {
    expect(matchDetections(dets, gts, 0.5)).toEqual([true, false, true, false]);
  });

  it('computes precision/recall and AP by hand', () => {
    const tp = [true, false, true, false];
    const { precision, recall } = prCurve(tp, 3);
    expect(precision).toEqual([1, 0.5, 2 / 3, 0.5]);
    expect(recall).toEqual([1 / 3, 1 / 3, 2 / 3, 2 / 3]);
    // Recall points 0..0.33 at precision 1, 0.34..0.66 at 2/3, 0.67..1 unreached.
    expect(averagePrecision(tp, 3)).toBeCloseTo((34 + 33 * (2 / 3)) / 101, 10);
  });

  it('is 1 for a perfect detector and 0 with no detections', () => {
    expect(averagePrecision([true, true], 2)).toBeCloseTo(1, 10);
    expect(averagePrecision([], 2)).toBe(0);
    expect(averagePrecision([], 0)).toBeNaN();
  });

  it('AP50:95 drops for a loose box, AP50 does not', () => {
    const loose: Box = [0, 0, 0.2, 0.26]; // IoU with A = 0.2·0.2 / (0.2·0.26) ≈ 0.77
    const e = evaluateClass([{ image: 0, score: 0.9, box: loose }], new Map([[0, [A]]]));
    expect(e.ap50).toBeCloseTo(1, 10);
    expect(e.ap[5]).toBeCloseTo(1, 10); // IoU 0.75
    expect(e.ap[6]).toBe(0); // IoU 0.8
    expect(e.ap5095).toBeCloseTo(0.6, 10);
  });

  it('counts a loosely labelled box as found by centre where AP50 misses it', () => {
    // A label several times the flame: the detection on the flame has IoU 0.04 with it.
    const label: Box = [0.2, 0.2, 0.7, 0.7];
    const flame: Box = [0.4, 0.4, 0.5, 0.5];
    const loose = new Map([[0, [label]], [1, [B]]]);
    const found: ScoredBox[] = [
      { image: 0, score: 0.4, box: flame },
      { image: 1, score: 0.2, box: B }, // on B, under the threshold
      { image: 0, score: 0.9, box: far }, // above it, off the label
    ];
    // By overlap, only the detection exactly on B (under the threshold) is a hit.
    expect(evaluateClass(found, loose, [0.5]).tp50).toEqual([false, false, true]);
    expect(boxesFoundByCentre(found, loose, 0.3)).toEqual({ found: 1, total: 2 });
    expect(boxesFoundByCentre(found, loose, 0.1)).toEqual({ found: 2, total: 2 });
    // A detection in another image does not find the box.
    expect(boxesFoundByCentre([{ image: 1, score: 0.9, box: flame }], new Map([[0, [label]]]), 0.3)).toEqual({ found: 0, total: 1 });
  });

  it('sorts detections itself and reports the operating point', () => {
    const e = evaluateClass([...dets].reverse(), gts);
    expect(e.scores).toEqual([0.9, 0.8, 0.7, 0.6]);
    expect(operatingPoint(e, 0.75)).toEqual({ precision: 0.5, recall: 1 / 3, tp: 1, fp: 1 });
    expect(operatingPoint(e, 0.95).precision).toBeNaN();
  });

  it('draws a PR plot as SVG with one curve per class', () => {
    const e = evaluateClass(dets, gts);
    const svg = prCurvesSvg('m: PR <test>', [{ label: 'garbage', tp50: e.tp50, scores: e.scores, nGt: e.nGt, threshold: 0.75 }]);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('&lt;test&gt;');
    expect(svg.match(/<polyline/g)).toHaveLength(1);
    expect(svg).toContain('<circle');
  });
});
