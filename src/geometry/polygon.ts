import type { Box } from '../contracts/box.js';

/**
 * Plane geometry for zones. Pure functions over normalized coordinates (0..1, y down). A polygon is a
 * ring of points in order, not closed: a trailing copy of the first point is tolerated and ignored.
 */

export type Point = readonly [x: number, y: number];
export type Polygon = readonly Point[];

/** Tolerance for "on the line" tests; far below one pixel at any camera resolution. */
const EPS = 1e-9;

/** The ring without a repeated closing point. */
export function openRing(poly: Polygon): Polygon {
  if (poly.length < 2) return poly;
  const a = poly[0]!;
  const z = poly[poly.length - 1]!;
  return a[0] === z[0] && a[1] === z[1] ? poly.slice(0, -1) : poly;
}

/** Signed area by the shoelace formula: positive when the points run clockwise on screen (y down). */
export function signedArea(poly: Polygon): number {
  let s = 0;
  for (let i = 0; i < poly.length; i++) {
    const [x1, y1] = poly[i]!;
    const [x2, y2] = poly[(i + 1) % poly.length]!;
    s += x1 * y2 - x2 * y1;
  }
  return s / 2;
}

/** Area enclosed by a simple polygon (always ≥ 0). */
export function polygonArea(poly: Polygon): number {
  return Math.abs(signedArea(poly));
}

function cross(o: Point, a: Point, b: Point): number {
  return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
}

function onSegment(p: Point, a: Point, b: Point): boolean {
  if (Math.abs(cross(a, b, p)) > EPS) return false;
  return (
    p[0] >= Math.min(a[0], b[0]) - EPS &&
    p[0] <= Math.max(a[0], b[0]) + EPS &&
    p[1] >= Math.min(a[1], b[1]) - EPS &&
    p[1] <= Math.max(a[1], b[1]) + EPS
  );
}

/**
 * Whether `p` is inside the polygon or on its boundary. The boundary counts as inside so that an object
 * standing on the picture's bottom edge is still in a full-frame zone.
 */
export function pointInPolygon(p: Point, poly: Polygon): boolean {
  const n = poly.length;
  if (n < 3) return false;
  let inside = false;
  for (let i = 0, j = n - 1; i < n; j = i++) {
    const a = poly[i]!;
    const b = poly[j]!;
    if (onSegment(p, a, b)) return true;
    // Half-open rule on y so a ray through a vertex is counted once.
    if (a[1] > p[1] !== b[1] > p[1]) {
      const x = a[0] + ((p[1] - a[1]) * (b[0] - a[0])) / (b[1] - a[1]);
      if (p[0] < x) inside = !inside;
    }
  }
  return inside;
}

/**
 * Sutherland–Hodgman: the part of `poly` inside the rectangle. The clip window must be convex (a box
 * is); the subject may be any simple polygon, even concave. For a concave subject the result can
 * contain zero-width bridges between pieces, which add nothing to its area, so the area stays exact.
 */
export function clipPolygonToBox(poly: Polygon, rect: Readonly<Box>): Point[] {
  const [x1, y1, x2, y2] = rect;
  type Edge = { inside: (p: Point) => boolean; cut: (a: Point, b: Point) => Point };
  const atX = (x: number) => (a: Point, b: Point): Point => [x, a[1] + ((x - a[0]) * (b[1] - a[1])) / (b[0] - a[0])];
  const atY = (y: number) => (a: Point, b: Point): Point => [a[0] + ((y - a[1]) * (b[0] - a[0])) / (b[1] - a[1]), y];
  const edges: Edge[] = [
    { inside: (p) => p[0] >= x1, cut: atX(x1) },
    { inside: (p) => p[0] <= x2, cut: atX(x2) },
    { inside: (p) => p[1] >= y1, cut: atY(y1) },
    { inside: (p) => p[1] <= y2, cut: atY(y2) },
  ];
  let out: Point[] = [...openRing(poly)];
  for (const edge of edges) {
    const input = out;
    out = [];
    for (let i = 0; i < input.length; i++) {
      const cur = input[i]!;
      const prev = input[(i + input.length - 1) % input.length]!;
      const curIn = edge.inside(cur);
      const prevIn = edge.inside(prev);
      if (curIn) {
        if (!prevIn) out.push(edge.cut(prev, cur));
        out.push(cur);
      } else if (prevIn) {
        out.push(edge.cut(prev, cur));
      }
    }
    if (out.length === 0) break;
  }
  return out;
}

/**
 * Fraction (0..1) of the box's area that lies inside the polygon. A degenerate box (zero width or
 * height) has no area to measure: it counts as 1 when its center is inside, else 0.
 */
export function boxOverlapFraction(box: Readonly<Box>, poly: Polygon): number {
  const [x1, y1, x2, y2] = box;
  const area = Math.max(0, x2 - x1) * Math.max(0, y2 - y1);
  if (area <= 0) return pointInPolygon([(x1 + x2) / 2, (y1 + y2) / 2], poly) ? 1 : 0;
  const clipped = clipPolygonToBox(poly, box);
  if (clipped.length < 3) return 0;
  return Math.min(1, polygonArea(clipped) / area);
}

function orientation(a: Point, b: Point, c: Point): -1 | 0 | 1 {
  const v = cross(a, b, c);
  return v > EPS ? 1 : v < -EPS ? -1 : 0;
}

/** Whether closed segments ab and cd share any point (crossing, touching or overlapping). */
export function segmentsIntersect(a: Point, b: Point, c: Point, d: Point): boolean {
  const o1 = orientation(a, b, c);
  const o2 = orientation(a, b, d);
  const o3 = orientation(c, d, a);
  const o4 = orientation(c, d, b);
  if (o1 !== o2 && o3 !== o4 && o1 !== 0 && o2 !== 0 && o3 !== 0 && o4 !== 0) return true;
  return (
    (o1 === 0 && onSegment(c, a, b)) ||
    (o2 === 0 && onSegment(d, a, b)) ||
    (o3 === 0 && onSegment(a, c, d)) ||
    (o4 === 0 && onSegment(b, c, d))
  );
}

/**
 * Why the ring is not a simple polygon, or undefined when it is. Simple means: at least three distinct
 * points, no zero-length edge, no two edges meeting anywhere except neighbours at their shared corner,
 * and some area. O(n²), fine for hand-drawn zones.
 */
export function polygonProblem(poly: Polygon): string | undefined {
  const ring = openRing(poly);
  const n = ring.length;
  if (n < 3) return `needs at least 3 points, has ${n}`;
  for (const [i, p] of ring.entries()) {
    if (!Number.isFinite(p[0]) || !Number.isFinite(p[1])) return `point ${i} is not a finite number`;
  }
  for (let i = 0; i < n; i++) {
    const a = ring[i]!;
    const b = ring[(i + 1) % n]!;
    if (Math.abs(a[0] - b[0]) <= EPS && Math.abs(a[1] - b[1]) <= EPS) return `points ${i} and ${(i + 1) % n} are the same`;
  }
  for (let i = 0; i < n; i++) {
    const a = ring[i]!;
    const b = ring[(i + 1) % n]!;
    for (let j = i + 1; j < n; j++) {
      const c = ring[j]!;
      const d = ring[(j + 1) % n]!;
      const adjacent = j === i + 1 || (i === 0 && j === n - 1);
      if (adjacent) {
        // Neighbours share one corner; they must not fold back onto each other.
        const shared = j === i + 1 ? b : a;
        const other1 = j === i + 1 ? a : b;
        const other2 = j === i + 1 ? d : c;
        if (orientation(other1, shared, other2) === 0 && (onSegment(other2, other1, shared) || onSegment(other1, shared, other2))) {
          return `edges ${i} and ${j} fold back onto each other`;
        }
        continue;
      }
      if (segmentsIntersect(a, b, c, d)) return `edge ${i} (point ${i}→${(i + 1) % n}) meets edge ${j} (point ${j}→${(j + 1) % n})`;
    }
  }
  if (polygonArea(ring) <= EPS) return 'encloses no area';
  return undefined;
}

/** True for a simple (non-self-intersecting, non-degenerate) polygon; the config loader rejects others. */
export function isSimplePolygon(poly: Polygon): boolean {
  return polygonProblem(poly) === undefined;
}
