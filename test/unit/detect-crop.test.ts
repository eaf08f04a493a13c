import { describe, expect, it } from 'vitest';
import { cropRect, cropToChw } from '../../src/detect/crop.js';
import { checkedScore } from '../../src/detect/crop-check.js';

const rule = { size: 4, grow: 1, minSide: 2 };

/** A width×height BGR picture whose pixel (x, y) is [x, y, 100 + c] for channel c = 2. */
function gradient(width: number, height: number) {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) data.set([x * 10, y * 10, 100], (y * width + x) * 3);
  return { data, width, contentWidth: width, contentHeight: height, swapRedBlue: false };
}

describe('cropRect', () => {
  it('grows the box around its centre and clips it to the picture', () => {
    expect(cropRect([0.25, 0.25, 0.75, 0.75], { contentWidth: 100, contentHeight: 100 }, { size: 64, grow: 1.3, minSide: 12 })).toEqual([17, 17, 83, 83]);
    expect(cropRect([0.9, 0.9, 1, 1], { contentWidth: 100, contentHeight: 50 }, { size: 64, grow: 2, minSide: 12 })).toEqual([85, 41, 100, 50]);
  });

  it('gives tiny boxes the smallest side, and refuses a box outside the picture', () => {
    expect(cropRect([0.5, 0.5, 0.5, 0.5], { contentWidth: 100, contentHeight: 100 }, { size: 64, grow: 1.3, minSide: 12 })).toEqual([44, 44, 56, 56]);
    expect(cropRect([1.2, 0, 1.5, 1], { contentWidth: 100, contentHeight: 100 }, { size: 64, grow: 1.3, minSide: 12 })).toBeNull();
  });
});

describe('cropToChw', () => {
  it('copies pixels one to one when the rectangle is the output size, planar and in channel order', () => {
    const src = gradient(8, 8);
    const out = new Float32Array(3 * 16);
    cropToChw(src, [2, 3, 6, 7], 4, out, 0);
    expect(Array.from(out.subarray(0, 4))).toEqual([20, 30, 40, 50]); // channel 0 of the first row: x * 10
    expect(Array.from(out.subarray(16, 20))).toEqual([30, 30, 30, 30]); // channel 1: y * 10 on row y = 3
    expect(out[32]).toBe(100);
  });

  it('samples pixel centres when halving, as OpenCV INTER_LINEAR does', () => {
    const src = gradient(8, 8);
    const out = new Float32Array(3 * 16);
    cropToChw(src, [0, 0, 8, 8], 4, out, 0);
    // output x = 0 samples source x = 0.5: halfway between 0 and 10.
    expect(Array.from(out.subarray(0, 4))).toEqual([5, 25, 45, 65]);
  });

  it('clamps at the edges when enlarging and swaps red and blue when asked', () => {
    const src = { ...gradient(2, 2), swapRedBlue: true };
    const out = new Float32Array(3 * 16);
    cropToChw(src, [0, 0, 2, 2], 4, out, 0);
    expect(out[0]).toBe(100); // channel 0 now holds what was channel 2
    expect(Array.from(out.subarray(32, 36))).toEqual([0, 2.5, 7.5, 10]); // x * 10 in channel 2, edges clamped
  });

  it('writes at the offset and leaves the rest of the buffer alone', () => {
    const out = new Float32Array(3 * 16 * 2).fill(-1);
    cropToChw(gradient(4, 4), [0, 0, 4, 4], 4, out, 48);
    expect(out[47]).toBe(-1);
    expect(out[48]).toBe(0);
  });
});

describe('checkedScore', () => {
  it('keeps a passing box, and shrinks a refuted one in proportion to the probability', () => {
    expect(checkedScore(0.6, 0.9, 0.5)).toBe(0.6);
    expect(checkedScore(0.6, 0.25, 0.5)).toBeCloseTo(0.3);
    expect(checkedScore(0.6, 0, 0.5)).toBe(0);
  });
});
