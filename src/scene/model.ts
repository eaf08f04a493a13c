import { CELL, F, TEXTURE, cellDistance, cellFeatures, sameGrid, type Grid, type ScenePixels } from './features.js';
import { boxCells, componentBox, components, type Component } from './components.js';
import { DEFAULT_SCENE_OPTIONS, PERSON_LABELS, VEHICLE_LABELS, type SceneOptions } from './options.js';
import { copyCellsToPicture, newReferencePicture, type ReferencePicture } from './reference-picture.js';
import { trackRegions, type RegionTrack, type SceneBox, type StaticRegion } from './regions.js';

/**
 * Per-camera scene model: "something was put down here and stays". Two models of every cell's features —
 * a slow reference of how the scene normally looks and a fast one of how it looks now — and a timer per
 * cell of how long the fast model has stood still away from the reference. Cells whose timer passed
 * minStaticSec form static regions. People and vehicles (detector boxes) are masked: their cells neither
 * learn nor count. Whatever is there when the model starts, or after the whole picture changed at once
 * (light switch, IR, view moved), is the reference — baseline, not a violation.
 *
 * `sceneStep` is a pure function of (state, frame, boxes, time); the state is a plain value (typed arrays
 * are copied, never mutated), so a camera's model can be tested frame by frame like the scorer.
 */

export interface SceneState {
  grid: Grid;
  ref: Float32Array;
  fast: Float32Array;
  /** Mean luma per cell of the previous frame: an identical picture is a frozen camera, not time passing. */
  prevLuma: Float32Array;
  /** The latest frame's features (what `novelty` compares with the reference). */
  cur: Float32Array;
  /** Per cell: how long (ms) it has been still and different from the reference. */
  staticMs: Float32Array;
  /** Per cell: masked by a person or vehicle until this time (ms). */
  maskUntil: Float64Array;
  /** Per cell: 0 while the reference has not seen it yet (hidden by a person or vehicle when it was taken). */
  refValid: Uint8Array;
  lastAt: number;
  referencedAt: number;
  frames: number;
  tracks: RegionTrack[];
  nextTrackId: number;
  picture: ReferencePicture;
}

export type RereferenceReason = 'start' | 'global-change' | 'requested';

export interface SceneInput {
  pixels: ScenePixels;
  /** Analysis time of the frame (ms). */
  t: number;
  /** The detector's boxes on this frame (normalized), all classes. */
  boxes: readonly SceneBox[];
}

export interface SceneStepResult {
  state: SceneState;
  regions: StaticRegion[];
  /** Set when this frame became the new reference. */
  rereferenced?: RereferenceReason;
  /** The picture did not change at all since the last frame (a frozen feed): nothing advanced. */
  frozen?: boolean;
}

function opts(o?: Partial<SceneOptions>): SceneOptions {
  return o ? { ...DEFAULT_SCENE_OPTIONS, ...o } : DEFAULT_SCENE_OPTIONS;
}

function fresh(input: SceneInput, feats: ReturnType<typeof cellFeatures>, prev: SceneState | null, reason: RereferenceReason): SceneStepResult {
  const n = feats.grid.cols * feats.grid.rows;
  const all = Uint8Array.from({ length: n }, () => 1);
  const picture = copyCellsToPicture(newReferencePicture(feats.grid), input.pixels, all, 0, 1);
  // People and vehicles in the first picture are not the scene: their cells are learned once they leave.
  const refValid = all.slice();
  const hidden = updateMasks(new Float64Array(n), feats.grid, input.boxes, 1, 0);
  for (let k = 0; k < n; k++) if (hidden[k]! > 0) refValid[k] = 0;
  return {
    state: {
      grid: feats.grid,
      ref: feats.f,
      fast: feats.f.slice(),
      prevLuma: feats.luma,
      cur: feats.f,
      staticMs: new Float32Array(n),
      maskUntil: prev && sameGrid(prev.grid, feats.grid) ? prev.maskUntil : new Float64Array(n),
      refValid,
      lastAt: input.t,
      referencedAt: input.t,
      frames: (prev?.frames ?? 0) + 1,
      tracks: [],
      nextTrackId: prev?.nextTrackId ?? 1,
      picture,
    },
    regions: [],
    rereferenced: reason,
  };
}

/** Marks the cells under moving-class boxes as masked until now + maskHold. */
function updateMasks(maskUntil: Float64Array, grid: Grid, boxes: readonly SceneBox[], t: number, holdMs: number): Float64Array {
  const out = maskUntil.slice();
  for (const b of boxes) {
    if (!PERSON_LABELS.has(b.label) && !VEHICLE_LABELS.has(b.label)) continue;
    const span = boxCells(b.box, grid, 1);
    if (!span) continue;
    for (let r = span.r0; r <= span.r1; r++) for (let c = span.c0; c <= span.c1; c++) out[r * grid.cols + c] = t + holdMs;
  }
  return out;
}

function frozenPicture(a: Float32Array, b: Float32Array): boolean {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!);
  return s / a.length < 0.01;
}

/**
 * A region where something left rather than arrived: an object stands out from its surroundings, so a
 * region that stands out less from the cells around it now than it did in the reference is the scene
 * showing again where an object was taken away (or a person of the first picture walked off).
 */
function isGhost(comp: Component, grid: Grid, cur: Float32Array, ref: Float32Array): boolean {
  const { cols, rows } = grid;
  const inside = new Set(comp.cells);
  const ring: number[] = [];
  for (let r = Math.max(0, comp.r0 - 2); r <= Math.min(rows - 1, comp.r1 + 2); r++) {
    for (let c = Math.max(0, comp.c0 - 2); c <= Math.min(cols - 1, comp.c1 + 2); c++) {
      const k = r * cols + c;
      if (!inside.has(k) && (r < comp.r0 || r > comp.r1 || c < comp.c0 || c > comp.c1)) ring.push(k);
    }
  }
  if (ring.length === 0) return false;
  return contrast(comp.cells, ring, cur) < contrast(comp.cells, ring, ref);
}

/** How much the mean look (relative luma, texture, colour) of cells `a` differs from that of cells `b`. */
function contrast(a: readonly number[], b: readonly number[], f: Float32Array): number {
  const mean = (cells: readonly number[], j: number) => cells.reduce((s, k) => s + f[k * F + j]!, 0) / cells.length;
  return (
    Math.abs(mean(a, 0) - mean(b, 0)) +
    0.7 * Math.abs(mean(a, TEXTURE) - mean(b, TEXTURE)) +
    2.5 * (Math.abs(mean(a, 4) - mean(b, 4)) + Math.abs(mean(a, 5) - mean(b, 5)))
  );
}

export function createSceneState(): null {
  return null;
}

/** Advance one camera's scene model by one analyzed frame. `state` null starts it (this frame is the baseline). */
export function sceneStep(state: SceneState | null, input: SceneInput, options?: Partial<SceneOptions>): SceneStepResult {
  const o = opts(options);
  const feats = cellFeatures(input.pixels);
  if (!state || !sameGrid(state.grid, feats.grid)) return fresh(input, feats, null, 'start');
  const t = input.t;
  if (!Number.isFinite(t)) throw new Error(`scene model: frame time ${t} is not a finite number`);
  if (t <= state.lastAt) return { state, regions: [] };
  const { grid } = state;
  const n = grid.cols * grid.rows;
  const dt = t - state.lastAt;
  const maskUntil = updateMasks(state.maskUntil, grid, input.boxes, t, o.maskHoldSec * 1000);

  if (frozenPicture(feats.luma, state.prevLuma)) return { state: { ...state, lastAt: t, maskUntil, cur: feats.f }, regions: [], frozen: true };

  // Light switched, IR came on, the camera was moved: most of the open picture differs at once.
  // The median is the test: an object, however large, moves it little; a new light moves every cell a bit.
  let open = 0;
  let differing = 0;
  let overMedian = 0;
  for (let k = 0; k < n; k++) {
    if (maskUntil[k]! > t) continue;
    const d = cellDistance(feats.f, state.ref, k);
    open++;
    if (d > o.diffHigh) differing++;
    if (d > o.globalMedian) overMedian++;
  }
  if (open >= n * 0.3 && (differing > open * o.globalFraction || medianAbove(open, overMedian))) return fresh(input, feats, state, 'global-change');
  // Colour gone from the whole picture (or back): the camera switched to IR or out of it.
  const cNow = colourfulness(feats.f);
  const cRef = colourfulness(state.ref);
  if (Math.min(cNow, cRef) < 0.35 * Math.max(cNow, cRef) && Math.max(cNow, cRef) > 0.01) return fresh(input, feats, state, 'global-change');

  const aFast = 1 - Math.exp(-dt / (o.fastTauSec * 1000));
  const fast = state.fast.slice();
  const ref = state.ref.slice();
  const staticMs = state.staticMs.slice();
  const refValid = state.refValid.slice();
  const cur = feats.f;
  const minStaticMs = o.minStaticSec * 1000;
  const absorbMs = o.absorbAfterSec * 1000;
  const learn = new Uint8Array(n);
  let anyStatic = false;
  let anyMasked = false;
  for (let k = 0; k < n; k++) {
    if (maskUntil[k]! > t) {
      anyMasked = true;
      if (staticMs[k]! > 0) anyStatic = true;
      continue; // hold: a person in front of a pile neither resets nor ages it
    }
    const still = cellDistance(cur, fast, k) <= o.stillMax;
    const o0 = k * F;
    for (let j = 0; j < F; j++) fast[o0 + j] = fast[o0 + j]! + aFast * (cur[o0 + j]! - fast[o0 + j]!);
    if (!refValid[k]) {
      if (still) {
        for (let j = 0; j < F; j++) ref[o0 + j] = fast[o0 + j]!;
        refValid[k] = 1;
        learn[k] = 1;
      }
      continue;
    }
    const dRef = cellDistance(fast, ref, k);
    const was = staticMs[k]! > 0;
    if (still && dRef > (was ? o.diffLow : o.diffHigh)) {
      staticMs[k] = staticMs[k]! + dt;
      anyStatic = true;
      if (staticMs[k]! >= absorbMs) {
        for (let j = 0; j < F; j++) ref[o0 + j] = fast[o0 + j]!;
        staticMs[k] = 0;
        learn[k] = 1;
      }
    } else if (!still && was) {
      // Moving over a static cell (a hand, a flapping tarp) keeps its age; it must settle again to count.
      staticMs[k] = Math.max(1, staticMs[k]! - dt);
    } else {
      staticMs[k] = 0;
      if (still && cellDistance(cur, ref, k) <= o.diffHigh) learn[k] = 1;
    }
  }

  // The zone seen empty (nothing static, nobody there) refreshes the reference quicker.
  const tau = !anyStatic && !anyMasked ? o.emptyTauSec : o.slowTauSec;
  const aSlow = 1 - Math.exp(-dt / (tau * 1000));
  for (let k = 0; k < n; k++) {
    if (!learn[k]) continue;
    const o0 = k * F;
    for (let j = 0; j < F; j++) ref[o0 + j] = ref[o0 + j]! + aSlow * (cur[o0 + j]! - ref[o0 + j]!);
  }

  const marked = new Uint8Array(n);
  for (let k = 0; k < n; k++) if (staticMs[k]! >= minStaticMs) marked[k] = 1;
  const comps = components(marked, grid, o.minCells);
  const kept: Component[] = [];
  for (const comp of comps) {
    const known = state.tracks.some((tr) => overlaps(tr.box, componentBox(comp, grid)));
    if (!known && isGhost(comp, grid, cur, ref)) {
      for (const k of comp.cells) {
        for (let j = 0; j < F; j++) ref[k * F + j] = fast[k * F + j]!;
        staticMs[k] = 0;
        learn[k] = 1;
      }
    } else kept.push(comp);
  }

  const picture = copyCellsToPicture(state.picture, input.pixels, learn, state.frames, 4);
  const tracked = trackRegions(state.tracks, kept, { grid, t, dt, boxes: input.boxes, staticMs, nextId: state.nextTrackId, options: o });
  return {
    state: { grid, ref, fast, prevLuma: feats.luma, cur, staticMs, maskUntil, refValid, lastAt: t, referencedAt: state.referencedAt, frames: state.frames + 1, tracks: tracked.tracks, nextTrackId: tracked.nextId, picture },
    regions: tracked.regions,
  };
}

/** Mean chroma magnitude over all cells. */
function colourfulness(f: Float32Array): number {
  let s = 0;
  for (let o = 0; o < f.length; o += F) s += Math.abs(f[o + 4]!) + Math.abs(f[o + 5]!);
  return s / (f.length / F);
}

/**
 * Whether the median of `count` values (the upper one of an even count: sorted[count >> 1]) is over a
 * bound, from how many of them are: without sorting every frame's cells.
 */
export function medianAbove(count: number, overBound: number): boolean {
  return count > 0 && overBound >= count - (count >> 1);
}

function overlaps(a: SceneBox['box'], b: SceneBox['box']): boolean {
  return a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
}

/**
 * Fraction of the cells under a normalized box whose latest picture differs from the reference: near 0
 * for what has been there all along (baseline), high for anything new, from the first frame it shows.
 */
export function novelty(state: SceneState, box: SceneBox['box'], options?: Partial<SceneOptions>): number {
  const o = opts(options);
  const span = boxCells(box, state.grid, 0);
  if (!span) return 0;
  let n = 0;
  let hit = 0;
  for (let r = span.r0; r <= span.r1; r++) {
    for (let c = span.c0; c <= span.c1; c++) {
      const k = r * state.grid.cols + c;
      n++;
      if (cellDistance(state.cur, state.ref, k) > o.diffHigh) hit++;
    }
  }
  return n ? hit / n : 0;
}

/**
 * Starts a new reference from the next frame, e.g. when camera health says the view shifted: what is in
 * the picture then is the new baseline.
 */
export function rereference(_state: SceneState | null): null {
  return null;
}

/**
 * A reviewer's "normal here": the region's cells take what they look like now as their reference, so the
 * object stops being static foreground (and its event runs out). The event's box is from its peak frame and
 * the region may have grown since: the tracked regions it touches are taken whole, with a cell of margin.
 */
export function acceptAsNormal(state: SceneState, box: SceneBox['box']): SceneState {
  const whole = state.tracks
    .filter((tr) => overlaps(tr.box, box))
    .reduce<SceneBox['box']>((u, tr) => [Math.min(u[0], tr.box[0]), Math.min(u[1], tr.box[1]), Math.max(u[2], tr.box[2]), Math.max(u[3], tr.box[3])], box);
  const span = boxCells(whole, state.grid, 1);
  if (!span) return state;
  const ref = state.ref.slice();
  const staticMs = state.staticMs.slice();
  for (let r = span.r0; r <= span.r1; r++) {
    for (let c = span.c0; c <= span.c1; c++) {
      const k = r * state.grid.cols + c;
      for (let j = 0; j < F; j++) ref[k * F + j] = state.fast[k * F + j]!;
      staticMs[k] = 0;
    }
  }
  return { ...state, ref, staticMs, tracks: state.tracks.filter((tr) => !overlaps(tr.box, whole)) };
}

export { CELL };
