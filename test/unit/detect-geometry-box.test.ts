import { describe, expect, it } from 'vitest';
import { boxArea, clipBox, cxcywhToXyxy, intersectionArea, iou } from '../../src/geometry/box.js';

describe('geometry/box', () => {
  it('area, intersection and IoU of overlapping boxes', () => {
    const a = [0, 0, 10, 10] as const;
    const b = [5, 0, 15, 10] as const;
    expect(boxArea(a)).toBe(100);
    expect(intersectionArea(a, b)).toBe(50);
    expect(iou(a, b)).toBeCloseTo(50 / 150);
    expect(iou(a, a)).toBe(1);
  });

  it('disjoint, touching and empty boxes have IoU 0 (never NaN)', () => {
    expect(iou([0, 0, 1, 1], [2, 2, 3, 3])).toBe(0);
    expect(iou([0, 0, 1, 1], [1, 0, 2, 1])).toBe(0);
    expect(iou([0, 0, 0, 0], [0, 0, 0, 0])).toBe(0);
    expect(boxArea([5, 5, 1, 1])).toBe(0);
  });

  it('converts center form and clips', () => {
    expect(cxcywhToXyxy(10, 20, 4, 6)).toEqual([8, 17, 12, 23]);
    expect(clipBox([-0.2, 0.5, 1.3, 0.9])).toEqual([0, 0.5, 1, 0.9]);
  });
});
