import type { Box } from '../contracts/box.js';
import { componentBox, type Component } from './components.js';
import type { Grid } from './features.js';
import { PERSON_LABELS, VEHICLE_LABELS, type SceneOptions } from './options.js';

/** A detector box as the scene model reads it. */
export interface SceneBox {
  label: string;
  score: number;
  box: Readonly<Box>;
}

/** What the model remembers about one static region across frames (its context). */
export interface RegionTrack {
  id: number;
  box: Box;
  /** When its cells started to stand still away from the reference (ms). */
  since: number;
  lastSeenAt: number;
  /** Time a person stood near it, and when last. */
  attendedMs: number;
  lastAttendedAt: number | null;
  /** Closest a person's feet came, in region sizes (Infinity: never). */
  nearest: number;
  /** Frames in which a detector class overlapped the region, by class. */
  labels: Record<string, number>;
  frames: number;
}

/** A static-region candidate: what appeared and stayed, with its context. */
export interface StaticRegion {
  id: number;
  /** Normalized picture box [x1, y1, x2, y2]. */
  box: Box;
  cells: number;
  /** Fraction of the picture it covers. */
  area: number;
  since: number;
  ageMs: number;
  /** Fraction of its cells static for at least minStaticSec (how solid the region is). */
  stability: number;
  attendedMs: number;
  /** attendedMs over the region's age. */
  attendedFraction: number;
  lastAttendedAt: number | null;
  nearest: number;
  labels: Record<string, number>;
  frames: number;
}

export interface TrackContext {
  grid: Grid;
  t: number;
  dt: number;
  boxes: readonly SceneBox[];
  staticMs: Float32Array;
  nextId: number;
  options: SceneOptions;
}

function iou(a: readonly number[], b: readonly number[]): number {
  const ix = Math.max(0, Math.min(a[2]!, b[2]!) - Math.max(a[0]!, b[0]!));
  const iy = Math.max(0, Math.min(a[3]!, b[3]!) - Math.max(a[1]!, b[1]!));
  const inter = ix * iy;
  const small = Math.min((a[2]! - a[0]!) * (a[3]! - a[1]!), (b[2]! - b[0]!) * (b[3]! - b[1]!));
  return small > 0 ? inter / small : 0;
}

/** Distance from a person's feet to the box, in units of the box's larger side (0 inside). */
function feetDistance(person: readonly number[], box: readonly number[]): number {
  const fx = (person[0]! + person[2]!) / 2;
  const fy = person[3]!;
  const dx = Math.max(box[0]! - fx, 0, fx - box[2]!);
  const dy = Math.max(box[1]! - fy, 0, fy - box[3]!);
  const size = Math.max(box[2]! - box[0]!, box[3]! - box[1]!, 1e-3);
  return Math.hypot(dx, dy) / size;
}

/**
 * Follows static regions across frames (a region is the same one when it overlaps the old box by half the
 * smaller of the two) and accumulates their context: who stands near them and for how long, which detector
 * classes lie on them.
 */
export function trackRegions(prev: readonly RegionTrack[], comps: readonly Component[], ctx: TrackContext): { tracks: RegionTrack[]; regions: StaticRegion[]; nextId: number } {
  const { grid, t, dt, boxes, staticMs, options } = ctx;
  let nextId = ctx.nextId;
  const used = new Set<number>();
  const tracks: RegionTrack[] = [];
  const regions: StaticRegion[] = [];
  const persons = boxes.filter((b) => PERSON_LABELS.has(b.label));
  const total = grid.cols * grid.rows;
  for (const comp of comps) {
    const box = componentBox(comp, grid);
    let maxStatic = 0;
    let solid = 0;
    for (const k of comp.cells) {
      maxStatic = Math.max(maxStatic, staticMs[k]!);
      if (staticMs[k]! >= options.minStaticSec * 1000) solid++;
    }
    let match: RegionTrack | undefined;
    let best = 0.5;
    for (const tr of prev) {
      if (used.has(tr.id)) continue;
      const o = iou(tr.box, box);
      if (o > best || (o === best && match && tr.id < match.id)) {
        best = o;
        match = tr;
      }
    }
    const base: RegionTrack = match
      ? { ...match, box, labels: { ...match.labels } }
      : { id: nextId++, box, since: t - maxStatic, lastSeenAt: t, attendedMs: 0, lastAttendedAt: null, nearest: Infinity, labels: {}, frames: 0 };
    if (match) used.add(match.id);
    let near = Infinity;
    for (const p of persons) near = Math.min(near, feetDistance(p.box, box));
    const attended = near <= options.attendDistance;
    const tr: RegionTrack = {
      ...base,
      lastSeenAt: t,
      frames: base.frames + 1,
      attendedMs: base.attendedMs + (attended && match ? dt : 0),
      lastAttendedAt: attended ? t : base.lastAttendedAt,
      nearest: Math.min(base.nearest, near),
    };
    for (const b of boxes) {
      if (PERSON_LABELS.has(b.label)) continue;
      // Vehicles beside it count too: a cart is a bicycle or tricycle next to goods.
      const touch = VEHICLE_LABELS.has(b.label) ? feetDistance(b.box, box) <= 0.5 : iou(b.box, box) >= 0.3;
      if (touch) tr.labels[b.label] = (tr.labels[b.label] ?? 0) + 1;
    }
    tracks.push(tr);
    const ageMs = t - tr.since;
    regions.push({
      id: tr.id,
      box,
      cells: comp.cells.length,
      area: comp.cells.length / total,
      since: tr.since,
      ageMs,
      stability: solid / comp.cells.length,
      attendedMs: tr.attendedMs,
      attendedFraction: ageMs > 0 ? Math.min(1, tr.attendedMs / ageMs) : 0,
      lastAttendedAt: tr.lastAttendedAt,
      nearest: tr.nearest,
      labels: tr.labels,
      frames: tr.frames,
    });
  }
  // A region hidden for a moment (someone standing in front) keeps its history for a while.
  for (const tr of prev) {
    if (used.has(tr.id) || t - tr.lastSeenAt > options.trackGraceSec * 1000) continue;
    if (tracks.some((x) => iou(x.box, tr.box) >= 0.5)) continue;
    tracks.push(tr);
  }
  return { tracks, regions, nextId };
}
