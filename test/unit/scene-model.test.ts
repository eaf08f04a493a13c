import { describe, expect, it } from 'vitest';
import { acceptAsNormal, medianAbove, novelty, sceneStep, type SceneState, type SceneStepResult } from '../../src/scene/model.js';
import type { SceneBox } from '../../src/scene/regions.js';
import { normBox, render, type Light, type SynthObject } from './scene-synthetic.js';

const STEP_MS = 2000;
const T0 = 1_700_000_000_000;

const PILE: SynthObject = { x: 150, y: 230, w: 60, h: 40, color: [40, 90, 160], stripes: 6 };
const CRATE: SynthObject = { x: 300, y: 250, w: 50, h: 50, color: [30, 140, 60], stripes: 5 };

interface FrameSpec {
  objects?: SynthObject[];
  light?: Light;
  boxes?: SceneBox[];
  noise?: number;
}

/** Runs the model over `n` frames 2 s apart; `at(i)` describes frame i. Returns every step's result. */
function run(n: number, at: (i: number) => FrameSpec, start: SceneState | null = null): SceneStepResult[] {
  let state = start;
  const out: SceneStepResult[] = [];
  for (let i = 0; i < n; i++) {
    const f = at(i);
    const res = sceneStep(state, { pixels: render(f.objects ?? [], f.light ?? {}, f.noise ?? 4, 100 + i), t: T0 + i * STEP_MS, boxes: f.boxes ?? [] });
    out.push(res);
    state = res.state;
  }
  return out;
}

const regionsAfter = (rs: SceneStepResult[], from: number) => rs.slice(from).flatMap((r) => r.regions);

function iou(a: number[], b: number[]): number {
  const ix = Math.max(0, Math.min(a[2]!, b[2]!) - Math.max(a[0]!, b[0]!));
  const iy = Math.max(0, Math.min(a[3]!, b[3]!) - Math.max(a[1]!, b[1]!));
  const u = (a[2]! - a[0]!) * (a[3]! - a[1]!) + (b[2]! - b[0]!) * (b[3]! - b[1]!) - ix * iy;
  return (ix * iy) / u;
}

describe('scene model', () => {
  it('the first frame is the reference: nothing there at start is a region', () => {
    const rs = run(30, () => ({ objects: [PILE] }));
    expect(rs[0]!.rereferenced).toBe('start');
    expect(regionsAfter(rs, 0)).toEqual([]);
  });

  it('a box that appears and stays becomes one static region at its place, with a stable id', () => {
    const rs = run(30, (i) => ({ objects: i >= 5 ? [PILE] : [] }));
    const first = rs.findIndex((r) => r.regions.length > 0);
    expect(first).toBeGreaterThan(5);
    expect(first).toBeLessThanOrEqual(5 + 6); // within ~12 s at a 2 s interval
    for (const r of rs.slice(first)) {
      expect(r.regions).toHaveLength(1);
      expect(iou(r.regions[0]!.box, normBox(PILE))).toBeGreaterThan(0.5);
      expect(r.regions[0]!.id).toBe(rs[first]!.regions[0]!.id);
    }
    const last = rs.at(-1)!.regions[0]!;
    expect(last.ageMs).toBeGreaterThanOrEqual((29 - 7) * STEP_MS);
    expect(last.attendedMs).toBe(0);
  });

  it('a pile there from the start stays baseline while a second one dumped later is found', () => {
    const rs = run(30, (i) => ({ objects: i >= 8 ? [PILE, CRATE] : [PILE] }));
    const found = regionsAfter(rs, 0);
    expect(found.length).toBeGreaterThan(0);
    // It may show partly at first (cells pass their timer one by one), but only ever on the crate.
    for (const r of found) expect(iou(r.box, normBox(PILE)), JSON.stringify(r.box)).toBe(0);
    expect(rs.at(-1)!.regions).toHaveLength(1);
    expect(iou(rs.at(-1)!.regions[0]!.box, normBox(CRATE))).toBeGreaterThan(0.5);
  });

  it('sensor noise alone forms no region', () => {
    expect(regionsAfter(run(40, () => ({ noise: 8 })), 0)).toEqual([]);
  });

  it('a slow global brightness change (dusk) forms no region and needs no re-reference', () => {
    const rs = run(60, (i) => ({ light: { gain: 1 - 0.5 * (i / 59) } }));
    expect(regionsAfter(rs, 0)).toEqual([]);
  });

  it('a sudden change of light (a cloud, the IR switch) re-references instead of alarming', () => {
    // A cloud (the light drops by 40 % at once) is absorbed by the ratio features; the IR switch (colour
    // gone, the picture brighter and flatter) moves too much of the picture at once: a new reference.
    const rs = run(40, (i) => ({ light: i >= 20 ? { grey: true, offset: 60, gain: 1.3 } : i >= 5 ? { gain: 0.6 } : {} }));
    expect(rs.slice(1, 20).some((r) => r.rereferenced)).toBe(false);
    expect(rs[20]!.rereferenced).toBe('global-change');
    expect(regionsAfter(rs, 0)).toEqual([]);
  });

  it('a shadow band sweeping across forms no region', () => {
    const rs = run(50, (i) => ({ light: { shadow: { x0: -200 + i * 12, x1: i * 12, depth: 0.45 } } }));
    expect(regionsAfter(rs, 0)).toEqual([]);
  });

  it('a person walking through (boxed by the detector, or not) forms no region', () => {
    const walker = (i: number): SynthObject => ({ x: 20 + i * 18, y: 150, w: 30, h: 120, color: [50, 50, 120] });
    const boxed = run(22, (i) => ({ objects: [walker(i)], boxes: [{ label: 'person', score: 0.8, box: normBox(walker(i)) }] }));
    expect(regionsAfter(boxed, 0)).toEqual([]);
    const unboxed = run(22, (i) => ({ objects: [walker(i)] }));
    expect(regionsAfter(unboxed, 0)).toEqual([]);
  });

  it('a person or car standing still for minutes never enters the reference nor forms a region', () => {
    const sitter: SynthObject = { x: 100, y: 160, w: 40, h: 110, color: [60, 40, 140] };
    const car: SynthObject = { x: 250, y: 200, w: 140, h: 80, color: [160, 160, 170], stripes: 20 };
    const rs = run(80, (i) => {
      const objects = i >= 3 ? [sitter, car] : [];
      // The detector misses them now and then; the mask holds over short gaps.
      const boxes: SceneBox[] = i >= 3 && i % 5 !== 0 ? [{ label: 'person', score: 0.7, box: normBox(sitter) }, { label: 'car', score: 0.8, box: normBox(car) }] : [];
      return { objects, boxes };
    });
    expect(regionsAfter(rs, 0)).toEqual([]);
    // ...and once they leave, nothing is left behind.
    const after = run(20, () => ({}), rs.at(-1)!.state);
    expect(regionsAfter(after, 0)).toEqual([]);
  });

  it('counts a person standing by a region as attending it', () => {
    const vendor: SynthObject = { x: 215, y: 180, w: 30, h: 95, color: [50, 50, 120] };
    const rs = run(30, (i) => ({ objects: i >= 3 ? [PILE, vendor] : [], boxes: i >= 3 ? [{ label: 'person', score: 0.8, box: normBox(vendor) }] : [] }));
    const last = rs.at(-1)!.regions[0]!;
    expect(last).toBeDefined();
    expect(last.attendedFraction).toBeGreaterThan(0.7);
    expect(last.lastAttendedAt).toBe(T0 + 29 * STEP_MS);
  });

  it('an object removed from the baseline leaves no ghost region', () => {
    const rs = run(40, (i) => ({ objects: i < 10 ? [PILE] : [] }));
    expect(regionsAfter(rs, 0)).toEqual([]);
  });

  it('novelty: a new object is new from the first frame it shows, a baseline one never', () => {
    const rs = run(8, (i) => ({ objects: i >= 5 ? [PILE, CRATE] : [PILE] }));
    expect(novelty(rs[4]!.state, normBox(CRATE))).toBeLessThan(0.05);
    expect(novelty(rs[5]!.state, normBox(CRATE))).toBeGreaterThan(0.5);
    for (const r of rs) expect(novelty(r.state, normBox(PILE))).toBeLessThan(0.05);
  });

  it('a region a reviewer accepts as normal joins the reference', () => {
    const rs = run(20, (i) => ({ objects: i >= 2 ? [PILE] : [] }));
    const region = rs.at(-1)!.regions[0]!;
    expect(region).toBeDefined();
    const accepted = acceptAsNormal(rs.at(-1)!.state, region.box);
    expect(regionsAfter(run(20, () => ({ objects: [PILE] }), accepted), 0)).toEqual([]);
  });

  it('a frozen feed (identical pictures) advances nothing', () => {
    let state: SceneState | null = null;
    const still = render([], {}, 4, 5);
    const moved = render([PILE], {}, 4, 6);
    state = sceneStep(state, { pixels: still, t: T0, boxes: [] }).state;
    const results = Array.from({ length: 20 }, (_, i) => {
      const r = sceneStep(state, { pixels: moved, t: T0 + (i + 1) * STEP_MS, boxes: [] });
      state = r.state;
      return r;
    });
    expect(results.slice(1).every((r) => r.frozen)).toBe(true);
    expect(results.flatMap((r) => r.regions)).toEqual([]);
  });
});

describe('medianAbove', () => {
  it('says what sorting and taking sorted[n >> 1] says, for odd and even counts and ties', () => {
    let s = 7;
    const rnd = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 4294967296);
    for (let trial = 0; trial < 500; trial++) {
      const n = 1 + Math.floor(rnd() * 40);
      const v = Float32Array.from({ length: n }, () => Math.round(rnd() * 10) / 10);
      const bound = Math.round(rnd() * 10) / 10;
      const sorted = v.slice().sort();
      const over = v.reduce((a, x) => a + (x > bound ? 1 : 0), 0);
      expect(medianAbove(n, over)).toBe(sorted[n >> 1]! > bound);
    }
    expect(medianAbove(0, 0)).toBe(false);
  });
});
