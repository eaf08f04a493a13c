import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Proposal } from '../../src/detect/proposal.js';
import { nms } from '../../src/detect/nms.js';
import { iou } from '../../src/geometry/box.js';

const cand = (classId: number, score: number, box: [number, number, number, number]): Proposal => ({ classId, score, box });

describe('nms (class-wise)', () => {
  it('suppresses an overlapping box of the same class, keeping the higher score', () => {
    const out = nms([cand(0, 0.6, [0, 0, 10, 10]), cand(0, 0.9, [1, 0, 11, 10])], 0.45);
    expect(out).toEqual([cand(0, 0.9, [1, 0, 11, 10])]);
  });

  it('keeps an overlapping box of a different class', () => {
    const out = nms([cand(0, 0.9, [0, 0, 10, 10]), cand(1, 0.8, [0, 0, 10, 10])], 0.45);
    expect(out.map((c) => c.classId)).toEqual([0, 1]);
  });

  it('classes of one exclusive group suppress each other; others still do not', () => {
    const bin = cand(1, 0.65, [0, 0, 10, 10]);
    const overflow = cand(2, 0.5, [0, 0, 10, 11]);
    const person = cand(0, 0.4, [0, 0, 10, 10]);
    const groups = [0, 1, 1];
    expect(nms([overflow, bin, person], 0.45, { groups })).toEqual([bin, person]);
    expect(nms([overflow, bin, person], 0.45)).toEqual([bin, overflow, person]);
    // Apart, both labels stay: two objects.
    expect(nms([bin, cand(2, 0.5, [20, 0, 30, 10])], 0.45, { groups })).toHaveLength(2);
  });

  it('keeps same-class boxes that overlap less than the threshold', () => {
    const out = nms([cand(0, 0.9, [0, 0, 10, 10]), cand(0, 0.8, [8, 0, 18, 10])], 0.45);
    expect(out).toHaveLength(2);
  });

  it('returns highest score first and honours maxDetections', () => {
    const boxes = [0.2, 0.9, 0.5].map((s, i) => cand(0, s, [i * 20, 0, i * 20 + 10, 10]));
    expect(nms(boxes, 0.5).map((c) => c.score)).toEqual([0.9, 0.5, 0.2]);
    expect(nms(boxes, 0.5, { maxDetections: 2 })).toHaveLength(2);
  });

  it('property: kept same-class boxes never overlap above the threshold; every dropped box is covered', () => {
    const arb = fc.array(
      fc.record({
        classId: fc.integer({ min: 0, max: 2 }),
        score: fc.double({ min: 0, max: 1, noNaN: true }),
        x: fc.integer({ min: 0, max: 50 }),
        y: fc.integer({ min: 0, max: 50 }),
        w: fc.integer({ min: 1, max: 30 }),
        h: fc.integer({ min: 1, max: 30 }),
      }),
      { maxLength: 40 },
    );
    fc.assert(
      fc.property(arb, fc.double({ min: 0.1, max: 0.9, noNaN: true }), (raw, thr) => {
        const cands = raw.map((r) => cand(r.classId, r.score, [r.x, r.y, r.x + r.w, r.y + r.h]));
        const kept = nms(cands, thr);
        for (const a of kept)
          for (const b of kept) if (a !== b && a.classId === b.classId) expect(iou(a.box, b.box)).toBeLessThanOrEqual(thr);
        for (const c of cands) {
          if (kept.includes(c)) continue;
          expect(kept.some((k) => k.classId === c.classId && k.score >= c.score && iou(k.box, c.box) > thr)).toBe(true);
        }
      }),
    );
  });
});
