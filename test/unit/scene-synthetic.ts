import type { ScenePixels } from '../../src/scene/features.js';

/**
 * Synthetic street pictures for the scene-model tests: a textured pavement with a kerb line and a wall,
 * objects as textured rectangles, light as a gain (global, or a soft-edged shadow band), sensor noise.
 */

export const W = 416;
export const CW = 416;
export const CH = 340;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

const BASE = (() => {
  const r = rng(7);
  const out = new Float32Array(CW * CH * 3);
  const coarse = Array.from({ length: 40 * 40 }, () => r());
  for (let y = 0; y < CH; y++) {
    for (let x = 0; x < CW; x++) {
      const wall = y < 120;
      const kerb = y >= 200 && y < 208;
      const blot = coarse[Math.floor(y / 12) * 40 + Math.floor(x / 12)]! * 30;
      const fine = r() * 24;
      const v = (wall ? 150 : kerb ? 200 : 110) + blot + fine;
      const i = (y * CW + x) * 3;
      out[i] = v * (wall ? 0.85 : 1); // B
      out[i + 1] = v * (wall ? 0.95 : 1); // G
      out[i + 2] = v * (wall ? 1.1 : 1); // R
    }
  }
  return out;
})();

export interface SynthObject {
  /** Pixel rect. */
  x: number;
  y: number;
  w: number;
  h: number;
  /** BGR base colour. */
  color: [number, number, number];
  /** Stripe period (pixels) of its texture; 0 = plain. */
  stripes?: number;
}

export interface Light {
  gain?: number;
  /** A soft shadow band: pixels with x in [x0, x1] darkened by `depth`. */
  shadow?: { x0: number; x1: number; depth: number };
  /** Added to every channel (IR switch: flat, grey). */
  offset?: number;
  grey?: boolean;
}

export function render(objects: readonly SynthObject[], light: Light = {}, noise = 4, seed = 1): ScenePixels {
  const data = Buffer.alloc(W * W * 3, 114);
  const r = rng(seed);
  const gain = light.gain ?? 1;
  for (let y = 0; y < CH; y++) {
    for (let x = 0; x < CW; x++) {
      const i = (y * CW + x) * 3;
      let b = BASE[i]!;
      let g = BASE[i + 1]!;
      let rr = BASE[i + 2]!;
      for (const o of objects) {
        if (x >= o.x && x < o.x + o.w && y >= o.y && y < o.y + o.h) {
          const s = o.stripes && Math.floor((x - o.x) / o.stripes) % 2 ? 0.6 : 1;
          [b, g, rr] = [o.color[0] * s, o.color[1] * s, o.color[2] * s];
        }
      }
      let k = gain;
      const sh = light.shadow;
      if (sh) {
        const edge = 20;
        const inside = Math.min(1, Math.max(0, Math.min(x - sh.x0, sh.x1 - x) / edge + 0.5));
        k *= 1 - sh.depth * inside;
      }
      if (light.grey) {
        const l = 0.114 * b + 0.587 * g + 0.299 * rr;
        b = g = rr = l;
      }
      const off = light.offset ?? 0;
      const o = (y * W + x) * 3;
      data[o] = clamp(b * k + off + (r() - 0.5) * 2 * noise);
      data[o + 1] = clamp(g * k + off + (r() - 0.5) * 2 * noise);
      data[o + 2] = clamp(rr * k + off + (r() - 0.5) * 2 * noise);
    }
  }
  return { data, width: W, height: W, contentWidth: CW, contentHeight: CH, pixelFormat: 'bgr24' };
}

function clamp(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}

/** Normalized box of a pixel rect (content coordinates). */
export function normBox(o: Pick<SynthObject, 'x' | 'y' | 'w' | 'h'>): [number, number, number, number] {
  return [o.x / CW, o.y / CH, (o.x + o.w) / CW, (o.y + o.h) / CH];
}
