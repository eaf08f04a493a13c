import { describe, expect, it } from 'vitest';
import { hwcToChw, makeChwTransform } from '../../src/detect/preprocess.js';

// 2 pixels, packed: (10, 20, 30) and (40, 50, 60).
const rgb = Uint8Array.from([10, 20, 30, 40, 50, 60]);
const identity = { scale: 1, mean: [0, 0, 0] as [number, number, number], std: [1, 1, 1] as [number, number, number] };

describe('hwcToChw', () => {
  it('writes planes without swapping when frame and model order agree', () => {
    const out = new Float32Array(6);
    hwcToChw(rgb, 2, makeChwTransform('rgb24', { channelOrder: 'RGB', ...identity }), out, 0);
    expect([...out]).toEqual([10, 40, 20, 50, 30, 60]);
  });

  it('swaps channels for an rgb24 frame into a BGR model (and bgr24 into RGB)', () => {
    const out = new Float32Array(6);
    const t = makeChwTransform('rgb24', { channelOrder: 'BGR', ...identity });
    expect(t.swap).toBe(true);
    hwcToChw(rgb, 2, t, out, 0);
    expect([...out]).toEqual([30, 60, 20, 50, 10, 40]);
    expect(makeChwTransform('bgr24', { channelOrder: 'RGB', ...identity }).swap).toBe(true);
    expect(makeChwTransform('bgr24', { channelOrder: 'BGR', ...identity }).swap).toBe(false);
  });

  it('applies scale, then mean and std per model channel', () => {
    const out = new Float32Array(6);
    const t = makeChwTransform('rgb24', { channelOrder: 'RGB', scale: 1 / 255, mean: [0.5, 0, 0.25], std: [0.5, 1, 0.25] });
    hwcToChw(rgb, 2, t, out, 0);
    const want = [(10 / 255 - 0.5) / 0.5, (40 / 255 - 0.5) / 0.5, 20 / 255, 50 / 255, (30 / 255 - 0.25) / 0.25, (60 / 255 - 0.25) / 0.25];
    want.forEach((w, k) => expect(out[k]).toBeCloseTo(w, 5));
  });

  it('writes one image of a batch at its offset and leaves the rest alone', () => {
    const out = new Float32Array(12).fill(-1);
    hwcToChw(rgb, 2, makeChwTransform('rgb24', { channelOrder: 'RGB', ...identity }), out, 6);
    expect([...out]).toEqual([-1, -1, -1, -1, -1, -1, 10, 40, 20, 50, 30, 60]);
  });

  it('takes the table-free path for an identity transform and writes what the tables would', () => {
    const src = Uint8Array.from({ length: 3 * 50 }, (_, i) => (i * 37) % 256);
    for (const [fmt, order] of [['rgb24', 'RGB'], ['rgb24', 'BGR'], ['bgr24', 'RGB']] as const) {
      const t = makeChwTransform(fmt, { channelOrder: order, ...identity });
      expect(t.identity).toBe(true);
      const fast = new Float32Array(150);
      const viaTables = new Float32Array(150);
      hwcToChw(src, 50, t, fast, 0);
      hwcToChw(src, 50, { ...t, identity: false }, viaTables, 0);
      expect([...fast]).toEqual([...viaTables]);
    }
    expect(makeChwTransform('rgb24', { channelOrder: 'RGB', scale: 1, mean: [0, 0, 1], std: [1, 1, 1] }).identity).toBe(false);
    expect(makeChwTransform('rgb24', { channelOrder: 'RGB', scale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1] }).identity).toBe(false);
  });

  it('rejects buffers that are too small', () => {
    const t = makeChwTransform('rgb24', { channelOrder: 'RGB', ...identity });
    expect(() => hwcToChw(rgb, 3, t, new Float32Array(9), 0)).toThrow(/source/);
    expect(() => hwcToChw(rgb, 2, t, new Float32Array(6), 1)).toThrow(/output/);
  });
});
