import { describe, expect, it } from 'vitest';
import { boxOverlapFraction, clipPolygonToBox, isSimplePolygon, openRing, pointInPolygon, polygonArea, polygonProblem, segmentsIntersect, signedArea, type Polygon } from '../../src/geometry/polygon.js';

const square: Polygon = [
  [0, 0],
  [1, 0],
  [1, 1],
  [0, 1],
];
// An L: the unit square minus its top-right quarter.
const ell: Polygon = [
  [0, 0],
  [0.5, 0],
  [0.5, 0.5],
  [1, 0.5],
  [1, 1],
  [0, 1],
];

describe('polygonArea', () => {
  it('unit square and triangle', () => {
    expect(polygonArea(square)).toBeCloseTo(1);
    expect(polygonArea([[0, 0], [1, 0], [0, 1]])).toBeCloseTo(0.5);
  });
  it('is the same in either winding; signedArea flips sign', () => {
    const rev = [...square].reverse();
    expect(polygonArea(rev)).toBeCloseTo(1);
    expect(signedArea(rev)).toBeCloseTo(-signedArea(square));
  });
  it('concave L', () => {
    expect(polygonArea(ell)).toBeCloseTo(0.75);
  });
  it('ignores a repeated closing point', () => {
    expect(polygonArea([...square, [0, 0]])).toBeCloseTo(1);
    expect(openRing([...square, [0, 0]])).toHaveLength(4);
  });
});

describe('pointInPolygon', () => {
  it('inside, outside', () => {
    expect(pointInPolygon([0.5, 0.5], square)).toBe(true);
    expect(pointInPolygon([1.5, 0.5], square)).toBe(false);
    expect(pointInPolygon([-0.01, 0.5], square)).toBe(false);
  });
  it('boundary and corners count as inside', () => {
    expect(pointInPolygon([0.5, 1], square)).toBe(true);
    expect(pointInPolygon([1, 1], square)).toBe(true);
    expect(pointInPolygon([0, 0.3], square)).toBe(true);
  });
  it('concave notch is outside', () => {
    expect(pointInPolygon([0.75, 0.25], ell)).toBe(false);
    expect(pointInPolygon([0.25, 0.25], ell)).toBe(true);
    expect(pointInPolygon([0.75, 0.75], ell)).toBe(true);
  });
  it('a ray through a vertex is counted once', () => {
    const diamond: Polygon = [[0.5, 0], [1, 0.5], [0.5, 1], [0, 0.5]];
    expect(pointInPolygon([0.2, 0.5], diamond)).toBe(true);
    expect(pointInPolygon([-0.2, 0.5], diamond)).toBe(false);
    expect(pointInPolygon([0.5, 0.5], diamond)).toBe(true);
  });
  it('fewer than 3 points contain nothing', () => {
    expect(pointInPolygon([0, 0], [[0, 0], [1, 1]])).toBe(false);
  });
});

describe('clipPolygonToBox / boxOverlapFraction', () => {
  it('box fully inside → 1, fully outside → 0', () => {
    expect(boxOverlapFraction([0.1, 0.1, 0.2, 0.2], square)).toBeCloseTo(1);
    expect(boxOverlapFraction([1.1, 0.1, 1.2, 0.2], square)).toBe(0);
  });
  it('half-in box → 0.5', () => {
    const zone: Polygon = [[0, 0], [0.5, 0], [0.5, 1], [0, 1]];
    expect(boxOverlapFraction([0.4, 0.4, 0.6, 0.6], zone)).toBeCloseTo(0.5);
  });
  it('box over the notch of a concave zone', () => {
    // Box [0.25,0.25,0.75,0.75] has area 0.25; the notch (x>0.5,y<0.5) removes a quarter of it.
    expect(boxOverlapFraction([0.25, 0.25, 0.75, 0.75], ell)).toBeCloseTo(0.75);
    expect(boxOverlapFraction([0.6, 0.1, 0.9, 0.4], ell)).toBe(0);
  });
  it('U-shaped zone where the box spans the gap gives exact area despite bridges', () => {
    const u: Polygon = [[0, 0], [0.3, 0], [0.3, 0.7], [0.7, 0.7], [0.7, 0], [1, 0], [1, 1], [0, 1]];
    // Box [0,0,1,0.5]: the two arms, each 0.3 × 0.5 → 0.3 of 0.5.
    expect(boxOverlapFraction([0, 0, 1, 0.5], u)).toBeCloseTo(0.6);
    const clipped = clipPolygonToBox(u, [0, 0, 1, 0.5]);
    expect(polygonArea(clipped)).toBeCloseTo(0.3);
  });
  it('triangle zone over a box', () => {
    const tri: Polygon = [[0, 0], [1, 0], [0, 1]];
    expect(boxOverlapFraction([0, 0, 1, 1], tri)).toBeCloseTo(0.5);
  });
  it('zone inside the box', () => {
    const small: Polygon = [[0.4, 0.4], [0.6, 0.4], [0.6, 0.6], [0.4, 0.6]];
    expect(boxOverlapFraction([0, 0, 1, 1], small)).toBeCloseTo(0.04);
  });
  it('degenerate box falls back to its center point', () => {
    expect(boxOverlapFraction([0.5, 0.5, 0.5, 0.7], square)).toBe(1);
    expect(boxOverlapFraction([1.5, 0.5, 1.5, 0.7], square)).toBe(0);
  });
});

describe('segmentsIntersect', () => {
  it('crossing, touching, collinear overlap, disjoint', () => {
    expect(segmentsIntersect([0, 0], [1, 1], [0, 1], [1, 0])).toBe(true);
    expect(segmentsIntersect([0, 0], [1, 0], [1, 0], [2, 1])).toBe(true);
    expect(segmentsIntersect([0, 0], [2, 0], [1, 0], [3, 0])).toBe(true);
    expect(segmentsIntersect([0, 0], [1, 0], [2, 0], [3, 0])).toBe(false);
    expect(segmentsIntersect([0, 0], [1, 0], [0, 1], [1, 1])).toBe(false);
  });
});

describe('isSimplePolygon', () => {
  it('accepts convex, concave, either winding, closed ring', () => {
    expect(isSimplePolygon(square)).toBe(true);
    expect(isSimplePolygon(ell)).toBe(true);
    expect(isSimplePolygon([...ell].reverse())).toBe(true);
    expect(isSimplePolygon([...square, [0, 0]])).toBe(true);
    expect(isSimplePolygon([[0, 0], [1, 0], [0, 1]])).toBe(true);
  });
  it('accepts a redundant collinear point', () => {
    expect(isSimplePolygon([[0, 0], [0.5, 0], [1, 0], [1, 1], [0, 1]])).toBe(true);
  });
  it('rejects a bow-tie', () => {
    const bow: Polygon = [[0, 0], [1, 1], [1, 0], [0, 1]];
    expect(isSimplePolygon(bow)).toBe(false);
    expect(polygonProblem(bow)).toMatch(/meets edge/);
  });
  it('rejects a polygon touching itself at a vertex', () => {
    // Two triangles sharing the point (0.5, 0.5).
    expect(isSimplePolygon([[0, 0], [1, 0], [0.5, 0.5], [1, 1], [0, 1], [0.5, 0.5]])).toBe(false);
  });
  it('rejects too few points, duplicates, fold-backs, collinear and NaN', () => {
    expect(polygonProblem([[0, 0], [1, 1]])).toMatch(/at least 3/);
    expect(isSimplePolygon([[0, 0], [0, 0], [1, 0], [0, 1]])).toBe(false);
    expect(isSimplePolygon([[0, 0], [1, 0], [0.5, 0], [0.5, 1]])).toBe(false);
    expect(isSimplePolygon([[0, 0], [0.5, 0.5], [1, 1]])).toBe(false);
    expect(isSimplePolygon([[0, 0], [Number.NaN, 0], [1, 1]])).toBe(false);
  });
});
