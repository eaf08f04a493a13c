import { describe, expect, it } from 'vitest';
import type { Box } from '../../src/contracts/box.js';
import type { Detection, Detections } from '../../src/contracts/detections.js';
import type { Frame } from '../../src/contracts/frame.js';
import type { Burst } from '../../src/decode/burst.js';
import { burnFeatures, isFlame } from '../../src/detect/burn-features.js';
import { BurningCheck, judgeFire, judgeSmoke } from '../../src/detect/burning-check.js';
import { parseFramecrc } from '../../src/decode/keyframe-gap.js';

const W = 120;
const H = 90;
const BOX: Box = [0.4, 0.4, 0.7, 0.8];

/** A seeded generator, so the synthetic bursts are the same on every run. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

/** n frames of a grey street with mild sensor noise, drawn into by `paint(frame index, set)`. */
function burst(n: number, paint: (k: number, set: (x: number, y: number, rgb: [number, number, number]) => void) => void, seed = 1): Buffer[] {
  const r = rng(seed);
  return Array.from({ length: n }, (_, k) => {
    const f = Buffer.alloc(W * H * 3);
    for (let i = 0; i < W * H; i++) {
      const v = 90 + Math.floor(r() * 6);
      f[i * 3] = v;
      f[i * 3 + 1] = v;
      f[i * 3 + 2] = v + 4;
    }
    paint(k, (x, y, [R, G, B]) => {
      if (x < 0 || y < 0 || x >= W || y >= H) return;
      const p = (y * W + x) * 3;
      f[p] = R;
      f[p + 1] = G;
      f[p + 2] = B;
    });
    return f;
  });
}

const ORANGE: [number, number, number] = [240, 140, 40];
const rect = (set: (x: number, y: number, c: [number, number, number]) => void, x0: number, y0: number, x1: number, y1: number, c = ORANGE) => {
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) set(x, y, c);
};

/** A flame: a base that stays, tongues whose height changes irregularly from frame to frame. */
const flame = (seed = 7) => {
  const r = rng(seed);
  return burst(12, (_k, set) => {
    rect(set, 52, 56, 80, 70);
    for (let x = 52; x < 80; x += 2) {
      const top = 56 - Math.floor(r() * 18);
      rect(set, x, top, x + 2, 56, r() < 0.3 ? [255, 230, 120] : ORANGE);
    }
  });
};

describe('burn features', () => {
  it('flame colours: orange and yellow-white cores are flame, grey, blue and dull brown are not', () => {
    expect(isFlame(240, 140, 40)).toBe(true);
    expect(isFlame(255, 230, 120)).toBe(true);
    expect(isFlame(120, 120, 120)).toBe(false);
    expect(isFlame(60, 90, 200)).toBe(false);
    expect(isFlame(120, 80, 50)).toBe(false);
  });

  it('a flickering flame is confirmed', () => {
    const f = burnFeatures(flame(), W, H, BOX);
    expect(f.flicker).toBeGreaterThan(0.2);
    expect(judgeFire(f)).toMatchObject({ ok: true });
  });

  it('a steady orange object (foliage, clothing, umbrella, lamp) is refuted: no flicker', () => {
    const f = burnFeatures(burst(12, (_k, set) => rect(set, 52, 44, 80, 70)), W, H, BOX);
    expect(f.flameFraction).toBeGreaterThan(0.3);
    expect(judgeFire(f)).toMatchObject({ ok: false, why: expect.stringContaining('steady') });
  });

  it('a blinking red sign is refuted: it switches as one block', () => {
    const f = burnFeatures(burst(12, (k, set) => { if (Math.floor(k / 2) % 2 === 0) rect(set, 52, 44, 80, 70, [230, 40, 30]); }), W, H, BOX);
    expect(judgeFire(f).ok).toBe(false);
  });

  it('a light crossing the box is refuted: it travels as a rigid body', () => {
    const f = burnFeatures(burst(12, (k, set) => rect(set, 48 + k * 3, 60, 56 + k * 3, 66, [250, 60, 40])), W, H, [0.35, 0.5, 0.85, 0.8]);
    expect(f.straightness).toBeGreaterThan(0.8);
    expect(judgeFire(f)).toMatchObject({ ok: false });
  });

  it('smoke: drifting grey counts beside a flame or above its threshold; white steam and picture-filling fog do not', () => {
    const drift = (c: [number, number, number]) => burst(12, (k, set) => rect(set, 44 + k, 34, 78 + k, 74, [c[0] + (k % 3) * 12, c[1] + (k % 3) * 12, c[2] + (k % 3) * 12]));
    const grey = burnFeatures(drift([110, 110, 112]), W, H, BOX);
    expect(judgeSmoke(grey, false, true).ok).toBe(true);
    expect(judgeSmoke(grey, false, false).ok).toBe(false);
    expect(judgeSmoke(grey, true, false).ok).toBe(true);
    const steam = burnFeatures(drift([215, 215, 215]), W, H, BOX);
    expect(judgeSmoke(steam, true, false)).toMatchObject({ ok: false, why: expect.stringContaining('steam') });
    const fog = burnFeatures(drift([150, 150, 150]), W, H, [0, 0, 1, 1]);
    expect(judgeSmoke(fog, true, true)).toMatchObject({ ok: false, why: expect.stringContaining('fog') });
  });
});

const frame = (timestamp: number): Frame => ({ cameraId: 'c', timestamp, ptsMs: timestamp, data: Buffer.alloc(0), pixelFormat: 'bgr24', width: 416, height: 416, contentWidth: 416, contentHeight: 312, sourceWidth: W, sourceHeight: H });
const det = (label: string, score: number, box: Box = BOX): Detection => ({ classId: label === 'fire' ? 3 : 4, label, score, box, violation: 'burning' });
const dets = (items: Detection[]): Detections => ({ cameraId: 'c', timestamp: 0, model: 'm', items });
const THR = new Map([['fire', 0.56], ['smoke', 0.48]]);
const OPTS = { candidateRatio: 0.5, everySec: 10, holdSec: 30 };

describe('BurningCheck', () => {
  const burstOf = (frames: Buffer[]) => async (): Promise<Burst> => ({ frames, width: W, height: H, fps: 12 });

  it('frames without a fire or smoke candidate pass untouched and decode nothing', async () => {
    let calls = 0;
    const c = new BurningCheck(OPTS, THR, async () => { calls++; return undefined; });
    const d = dets([{ classId: 5, label: 'person', score: 0.9, box: [0, 0, 0.1, 0.3] }]);
    expect(await c.verify(frame(0), d)).toBe(d);
    expect(calls).toBe(0);
  });

  it('promotes a candidate under the threshold that a burst shows flickering', async () => {
    const c = new BurningCheck(OPTS, THR, burstOf(flame()));
    const out = await c.verify(frame(0), dets([det('fire', 0.35)]));
    expect(out.items.map((d) => d.label)).toEqual(['fire']);
    expect(c.stats).toMatchObject({ bursts: 1, confirmed: 1 });
  });

  it('drops a detection above the threshold that the burst refutes (a steady orange umbrella)', async () => {
    const c = new BurningCheck(OPTS, THR, burstOf(burst(12, (_k, set) => rect(set, 52, 44, 80, 70))));
    const out = await c.verify(frame(0), dets([det('fire', 0.9), { classId: 5, label: 'person', score: 0.8, box: [0, 0, 0.1, 0.3] }]));
    expect(out.items.map((d) => d.label)).toEqual(['person']);
    expect(c.stats.rejected).toBe(1);
  });

  it('without a burst, trusts the threshold: keeps what is above it, drops candidates under it', async () => {
    const c = new BurningCheck(OPTS, THR, async () => undefined);
    const out = await c.verify(frame(0), dets([det('fire', 0.9), det('smoke', 0.3, [0.1, 0.1, 0.2, 0.2])]));
    expect(out.items.map((d) => d.score)).toEqual([0.9]);
  });

  it('reuses a verdict for the same place and bursts at most once per everySec', async () => {
    let calls = 0;
    const frames = flame();
    const c = new BurningCheck(OPTS, THR, async () => { calls++; return { frames, width: W, height: H, fps: 12 }; });
    await c.verify(frame(0), dets([det('fire', 0.3)]));
    await c.verify(frame(2000), dets([det('fire', 0.3, [0.41, 0.4, 0.71, 0.8])]));
    await c.verify(frame(4000), dets([det('fire', 0.3, [0.0, 0.0, 0.1, 0.1])])); // elsewhere, but within everySec
    expect(calls).toBe(1);
    await c.verify(frame(12_000), dets([det('fire', 0.3, [0.0, 0.0, 0.1, 0.1])]));
    expect(calls).toBe(2);
  });

  it('where bursts can be had, a box above the threshold that moved since the last burst waits for the next one', async () => {
    const steady = burst(12, (_k, set) => rect(set, 52, 44, 80, 70));
    const c = new BurningCheck(OPTS, THR, burstOf(steady));
    // Orange clothing walking through: refuted where it was judged, a new box on each following frame.
    expect((await c.verify(frame(0), dets([det('fire', 0.7, [0.1, 0.4, 0.2, 0.7])]))).items).toEqual([]);
    expect((await c.verify(frame(2000), dets([det('fire', 0.7, [0.3, 0.4, 0.4, 0.7])]))).items).toEqual([]);
    expect((await c.verify(frame(4000), dets([det('fire', 0.7, [0.5, 0.4, 0.6, 0.7])]))).items).toEqual([]);
    expect(c.stats).toMatchObject({ bursts: 1, rejected: 1, deferred: 2 });
    // The next burst judges it (refuted again here); a flame would be confirmed there and pass from then on.
    await c.verify(frame(10_000), dets([det('fire', 0.7, [0.7, 0.4, 0.8, 0.7])]));
    expect(c.stats.bursts).toBe(2);
  });

  it('a camera without bursts keeps trusting the threshold between frames (nothing is deferred)', async () => {
    const c = new BurningCheck(OPTS, THR, async () => undefined);
    await c.verify(frame(0), dets([det('fire', 0.9)]));
    const out = await c.verify(frame(2000), dets([det('fire', 0.9, [0.3, 0.4, 0.4, 0.7])]));
    expect(out.items.map((d) => d.score)).toEqual([0.9]);
    expect(c.stats.deferred).toBe(0);
  });
});

describe('keyframe probe', () => {
  it('finds keyframes (lines without F=) and the longest gap, tail included', () => {
    const text = ['#tb 0: 1/1000', '#media_type 0: video', '0,          0,          0,       40,    26253, 0xe103c0c3', '0,         40,         40,       40,     6936, 0x127f6e5f, F=0x0', '0,       8000,       8000,       40,     4504, 0xae87bc58', '0,      17000,      17000,       40,     4504, 0xae87bc58, F=0x0', ''].join('\n');
    expect(parseFramecrc(text)).toEqual({ keyframesSec: [0, 8], maxGapSec: 9, lastSec: 17 });
  });
});
