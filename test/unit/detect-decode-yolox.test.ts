import { describe, expect, it } from 'vitest';
import { decodeYolox, yoloxAnchorCount } from '../../src/detect/decode-yolox.js';
import { logit } from '../../src/detect/proposal.js';

// 64×64 input, strides 8/16/32 → 8² + 4² + 2² = 84 anchors; 2 classes → 7 values per anchor.
const W = 64;
const H = 64;
const strides = [8, 16, 32];
const C = 2;
const ROW = 5 + C;

function blank(fill = 0): Float32Array {
  return new Float32Array(yoloxAnchorCount(W, H, strides) * ROW).fill(fill);
}

/** Anchor index of cell (gx, gy) at the stride with index si. */
function anchorOf(si: number, gx: number, gy: number): number {
  let a = 0;
  for (let k = 0; k < si; k++) a += (W / strides[k]!) * (H / strides[k]!);
  return a + gy * (W / strides[si]!) + gx;
}

function put(t: Float32Array, anchor: number, values: number[]): void {
  t.set(values, anchor * ROW);
}

const params = (sigmoidApplied: boolean, thresholds = [0.3, 0.3]) => ({
  inputWidth: W,
  inputHeight: H,
  numClasses: C,
  thresholds,
  sigmoidApplied,
  strides,
});

describe('decodeYolox', () => {
  it('counts anchors over all strides', () => {
    expect(yoloxAnchorCount(W, H, strides)).toBe(84);
    expect(yoloxAnchorCount(416, 416, strides)).toBe(3549);
  });

  it('decodes a known box: (offset + cell) × stride, exp(w) × stride, score obj × cls', () => {
    const t = blank();
    // Stride 16, cell (2, 1): cx = (0.5 + 2)·16 = 40, cy = (0.25 + 1)·16 = 20, w = 2·16 = 32, h = 1·16 = 16.
    put(t, anchorOf(1, 2, 1), [0.5, 0.25, Math.log(2), 0, 0.9, 0.1, 0.8]);
    const out = decodeYolox(t, params(true));
    expect(out).toHaveLength(1);
    expect(out[0]!.classId).toBe(1);
    expect(out[0]!.score).toBeCloseTo(0.72, 6);
    const [x1, y1, x2, y2] = out[0]!.box;
    expect([x1, y1, x2, y2].map((v) => Math.round(v * 1e4) / 1e4)).toEqual([24, 12, 56, 28]);
  });

  it('uses the right cell at strides 8 and 32 too', () => {
    const t = blank();
    put(t, anchorOf(0, 7, 3), [0, 0, 0, 0, 1, 1, 0]); // cx = 56, cy = 24, 8×8
    put(t, anchorOf(2, 1, 0), [0.5, 0.5, 0, 0, 1, 0, 1]); // cx = 48, cy = 16, 32×32
    const out = decodeYolox(t, params(true));
    expect(out.map((c) => [c.classId, ...c.box])).toEqual([
      [0, 52, 20, 60, 28],
      [1, 32, 0, 64, 32],
    ]);
  });

  it('applies sigmoid when the manifest says the graph did not', () => {
    const t = blank(-20); // logits: everything ~0 probability
    put(t, anchorOf(1, 0, 0), [0.5, 0.5, 0, 0, logit(0.9), logit(0.1), logit(0.8)]);
    const out = decodeYolox(t, params(false));
    expect(out).toHaveLength(1);
    expect(out[0]!.score).toBeCloseTo(0.72, 5);
    // Logit 0 means probability 0.5: 0.5 × 0.5 = 0.25 stays under the 0.3 threshold.
    expect(decodeYolox(blank(0), params(false))).toHaveLength(0);
  });

  it('applies per-class thresholds to the best class', () => {
    const t = blank();
    put(t, anchorOf(0, 0, 0), [0, 0, 0, 0, 0.8, 0.6, 0.1]); // class 0, score 0.48
    expect(decodeYolox(t, params(true, [0.5, 0.1]))).toHaveLength(0);
    expect(decodeYolox(t, params(true, [0.4, 0.9]))).toHaveLength(1);
  });

  it('rejects an output of the wrong size', () => {
    expect(() => decodeYolox(new Float32Array(10), params(true))).toThrow(/expected 588/);
  });
});
