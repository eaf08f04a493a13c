import { describe, expect, it } from 'vitest';
import { CameraHealth, correlation, laplacianVariance, mean, meanAbsDiff, samplePoints, thumbnail, type FramePixels, type HealthChange } from '../../src/observe/camera-health.js';
import { prng as rng } from '../support/prng.js';

const W = 416;
const H = 416;
/** The test clip's letterbox: 704×576 → 416×340 picture, grey padding below. */
const CW = 416;
const CH = 340;

/** A frame from a luma function over the picture area; padding is grey 114 like the real letterbox. */
function frame(luma: (x: number, y: number) => number, pixelFormat: 'rgb24' | 'bgr24' = 'bgr24'): FramePixels {
  const data = Buffer.alloc(W * H * 3, 114);
  for (let y = 0; y < CH; y++) {
    for (let x = 0; x < CW; x++) {
      const v = Math.max(0, Math.min(255, Math.round(luma(x, y))));
      data.fill(v, (y * W + x) * 3, (y * W + x) * 3 + 3);
    }
  }
  return { data, width: W, height: H, contentWidth: CW, contentHeight: CH, pixelFormat };
}

/** One fixed street layout: rectangles of different brightness (façades, shop fronts, road, kerb). */
const LAYOUT = (() => {
  const r = rng(42);
  return Array.from({ length: 30 }, () => ({ x: r() * 600 - 100, y: r() * CH, w: 20 + r() * 140, h: 20 + r() * 120, v: 40 + r() * 170 }));
})();

/** The street seen by a camera: the layout (shifted by `dx` when the camera turned), fine texture, grain per `seed`. */
function scene(seed: number, opts: { gain?: number; offset?: number; dx?: number; noise?: number } = {}): FramePixels {
  const { gain = 1, offset = 0, dx = 0, noise = 3 } = opts;
  const r = rng(seed);
  return frame((x0, y) => {
    const x = x0 + dx;
    let v = 100 + 0.15 * y;
    for (const b of LAYOUT) if (x >= b.x && x < b.x + b.w && y >= b.y && y < b.y + b.h) v = b.v;
    const texture = ((x * 7 + y * 13) % 11) * 2;
    return offset + gain * (v + texture) + (r() - 0.5) * 2 * noise;
  });
}

/** Box blur of a frame's picture area (radius r), to make a defocused version of a scene. */
function blurred(f: FramePixels, radius: number): FramePixels {
  const lum = (x: number, y: number) => f.data[(Math.min(CH - 1, Math.max(0, y)) * W + Math.min(CW - 1, Math.max(0, x))) * 3]!;
  return frame((x, y) => {
    let s = 0;
    let n = 0;
    for (let dy = -radius; dy <= radius; dy += 2) for (let dx = -radius; dx <= radius; dx += 2) (s += lum(x + dx, y + dy)), n++;
    return s / n;
  });
}

function feed(h: CameraHealth, frames: FramePixels[]): HealthChange[] {
  return frames.flatMap((f) => h.observe(f));
}

describe('camera health measures', () => {
  it('thumbnail and samples read the picture only, not the letterbox padding', () => {
    const black = frame(() => 0);
    expect(mean(thumbnail(black).data)).toBe(0);
    expect(Math.max(...samplePoints(black))).toBe(0);
  });

  it('luma weights follow the pixel order (rgb24 vs bgr24)', () => {
    const data = Buffer.alloc(4 * 4 * 3);
    for (let i = 0; i < 16; i++) data.set([255, 0, 0], i * 3); // first byte full
    const asRgb = { data, width: 4, height: 4, contentWidth: 4, contentHeight: 4, pixelFormat: 'rgb24' as const };
    const asBgr = { ...asRgb, pixelFormat: 'bgr24' as const };
    expect(mean(thumbnail(asRgb, 2, 2).data)).toBeCloseTo(0.299 * 255, 3); // red
    expect(mean(thumbnail(asBgr, 2, 2).data)).toBeCloseTo(0.114 * 255, 3); // blue
  });

  it('Laplacian variance separates a sharp scene from its defocused version', () => {
    const sharp = scene(1);
    const soft = blurred(sharp, 6);
    expect(laplacianVariance(sharp)).toBeGreaterThan(100);
    expect(laplacianVariance(soft)).toBeLessThan(laplacianVariance(sharp) / 10);
    // The alert uses it relative to the coarse contrast: fog lowers both and does not count as blur.
    const h = new CameraHealth('cam');
    h.observe(sharp);
    const sharpRatio = h.last!.sharpness;
    h.observe(scene(2, { gain: 0.4, offset: 80 }));
    expect(h.last!.sharpness).toBeGreaterThan(0.05);
    h.observe(soft);
    expect(h.last!.sharpness).toBeLessThan(0.05);
    expect(sharpRatio).toBeGreaterThan(0.2);
  });

  it('correlation ignores brightness and contrast, not a change of view', () => {
    const a = thumbnail(scene(1)).data;
    expect(correlation(a, thumbnail(scene(2, { gain: 0.5, offset: 20 })).data)).toBeGreaterThan(0.95);
    expect(correlation(a, thumbnail(scene(3, { dx: 90 })).data)).toBeLessThan(0.5);
    expect(correlation(a, new Float32Array(a.length).fill(7))).toBeNaN();
  });

  it('sensor noise keeps consecutive frames of a still scene apart; a stuck stream does not', () => {
    const a = samplePoints(scene(1));
    expect(meanAbsDiff(a, samplePoints(scene(2)))).toBeGreaterThan(1);
    expect(meanAbsDiff(a, samplePoints(scene(1)))).toBe(0);
  });
});

describe('CameraHealth alerts', () => {
  it('a normal camera raises nothing', () => {
    const h = new CameraHealth('cam');
    expect(feed(h, Array.from({ length: 12 }, (_, i) => scene(100 + i)))).toEqual([]);
  });

  it('frozen: raised at the 4th exact repeat within 6 analyses, cleared after 3 changed pictures', () => {
    const h = new CameraHealth('cam');
    const still = scene(7);
    expect(feed(h, [scene(1), still, still, still, still])).toEqual([]);
    expect(h.observe(still)).toMatchObject([{ check: 'frozen', raised: true }]);
    expect(feed(h, [scene(8), scene(9)])).toEqual([]);
    expect(h.observe(scene(10))).toMatchObject([{ check: 'frozen', raised: false }]);

    // A stuck source whose keyframes sometimes decode differently (rate control): repeats still add up.
    const g = new CameraHealth('cam');
    const recoded = scene(7, { noise: 8 });
    expect(feed(g, [scene(1), still, still, recoded, still, still, still])).toEqual([]);
    expect(g.observe(still)).toMatchObject([{ check: 'frozen', raised: true }]);
  });

  it('frozen: a still street with grain never counts as frozen', () => {
    const h = new CameraHealth('cam');
    expect(feed(h, Array.from({ length: 20 }, (_, i) => scene(200 + i, { noise: 1 })))).toEqual([]);
  });

  it('dark: raised after 3 dark analyses, cleared after 3 bright ones; blur is not judged in the dark', () => {
    const h = new CameraHealth('cam');
    feed(h, [scene(1), scene(2)]);
    const night = (s: number) => scene(s, { gain: 0.1, offset: 0, noise: 1 });
    expect(feed(h, [night(3), night(4)])).toEqual([]);
    expect(h.observe(night(5))).toMatchObject([{ check: 'dark', raised: true }]);
    expect(h.isRaised('blurred')).toBe(false);
    expect(feed(h, [scene(6), scene(7)])).toEqual([]);
    expect(h.observe(scene(8))).toMatchObject([{ check: 'dark', raised: false }]);
  });

  it('blurred: a defocused lens is raised, and cleared when focus comes back', () => {
    const h = new CameraHealth('cam');
    feed(h, [scene(1), scene(2)]);
    const soft = [3, 4, 5].map((s) => blurred(scene(s), 6));
    const changes = feed(h, soft);
    expect(changes.map((c) => [c.check, c.raised])).toContainEqual(['blurred', true]);
    expect(changes.some((c) => c.check === 'shifted')).toBe(false);
    expect(feed(h, [scene(6), scene(7), scene(8)]).map((c) => [c.check, c.raised])).toContainEqual(['blurred', false]);
  });

  it('shifted: a camera turned away from its reference view is raised after 3 analyses; day/night exposure is not', () => {
    const h = new CameraHealth('cam');
    feed(h, [scene(1), scene(2)]);
    // Brighter and lower-contrast, same view: fine.
    expect(feed(h, [3, 4, 5, 6].map((s) => scene(s, { gain: 0.6, offset: 60 })))).toEqual([]);
    const moved = [7, 8, 9].map((s) => scene(s, { dx: 90 }));
    expect(feed(h, moved).map((c) => [c.check, c.raised])).toEqual([['shifted', true]]);
    expect(h.last?.similarity).toBeLessThan(0.5);
    // Ops re-aimed it: back to the reference view clears the alert after 3 analyses.
    expect(feed(h, [10, 11, 12].map((s) => scene(s))).map((c) => [c.check, c.raised])).toEqual([['shifted', false]]);
  });

  it('resetReference takes the next good picture as the new reference (zones redrawn for the new view)', () => {
    const h = new CameraHealth('cam');
    feed(h, [scene(1), ...[2, 3, 4].map((s) => scene(s, { dx: 90 }))]);
    expect(h.isRaised('shifted')).toBe(true);
    h.resetReference();
    feed(h, [5, 6, 7].map((s) => scene(s, { dx: 90 })));
    expect(h.isRaised('shifted')).toBe(false);
  });
});
