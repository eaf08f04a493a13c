import { describe, expect, it } from 'vitest';
import { decodeUltralytics } from '../../src/detect/decode-ultralytics.js';

const C = 3;
const A = 5;

/** [4+C, A] channel-major tensor with one anchor set. */
function tensor(anchor: number, box: [number, number, number, number], scores: number[]): Float32Array {
  const t = new Float32Array((4 + C) * A);
  [...box, ...scores].forEach((v, row) => (t[row * A + anchor] = v));
  return t;
}

const params = (sigmoidApplied = true, thresholds = [0.25, 0.25, 0.25]) => ({
  inputWidth: 640,
  inputHeight: 640,
  numClasses: C,
  thresholds,
  sigmoidApplied,
});

describe('decodeUltralytics ([4+C, A], transposed)', () => {
  it('reads cx, cy, w, h and the best class score of one anchor', () => {
    const out = decodeUltralytics(tensor(3, [100, 200, 40, 60], [0.1, 0.2, 0.9]), params());
    expect(out).toEqual([{ classId: 2, score: expect.closeTo(0.9, 6), box: [80, 170, 120, 230] }]);
  });

  it('has no objectness: the class score is the score', () => {
    const out = decodeUltralytics(tensor(0, [10, 10, 4, 4], [0.3, 0, 0]), params());
    expect(out[0]!.score).toBeCloseTo(0.3, 6);
  });

  it('applies sigmoid to class logits when asked, and per-class thresholds', () => {
    const t = tensor(1, [50, 50, 10, 10], [-9, 2, -9]);
    for (let a = 0; a < A; a++) if (a !== 1) for (let c = 0; c < C; c++) t[(4 + c) * A + a] = -9;
    const out = decodeUltralytics(t, params(false));
    expect(out).toHaveLength(1);
    expect(out[0]!.score).toBeCloseTo(1 / (1 + Math.exp(-2)), 6);
    expect(decodeUltralytics(t, params(false, [0.25, 0.95, 0.25]))).toHaveLength(0);
  });

  it('rejects a tensor whose size is not a multiple of 4+C', () => {
    expect(() => decodeUltralytics(new Float32Array(13), params())).toThrow(/4\+C/);
  });
});
