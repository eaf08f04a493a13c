import { describe, expect, it } from 'vitest';
import { decodeYolov5 } from '../../src/detect/decode-yolov5.js';

const C = 2;
const ROW = 5 + C;

const params = (sigmoidApplied = true) => ({
  inputWidth: 320,
  inputHeight: 320,
  numClasses: C,
  thresholds: [0.3, 0.3],
  sigmoidApplied,
});

describe('decodeYolov5 ([A, 5+C], cxcywh + obj + cls)', () => {
  it('decodes a known box with score obj × cls', () => {
    const t = new Float32Array(4 * ROW);
    t.set([160, 100, 20, 40, 0.8, 0.9, 0.2], 2 * ROW);
    const out = decodeYolov5(t, params());
    expect(out).toEqual([{ classId: 0, score: expect.closeTo(0.72, 6), box: [150, 80, 170, 120] }]);
  });

  it('drops anchors whose objectness is too low, whatever the class score', () => {
    const t = new Float32Array(ROW);
    t.set([160, 100, 20, 40, 0.2, 1, 1]);
    expect(decodeYolov5(t, params())).toHaveLength(0);
  });

  it('applies sigmoid when the export left logits', () => {
    const t = new Float32Array(ROW);
    t.set([10, 10, 4, 4, 3, -3, 3]);
    const s = 1 / (1 + Math.exp(-3));
    const out = decodeYolov5(t, params(false));
    expect(out[0]!.classId).toBe(1);
    expect(out[0]!.score).toBeCloseTo(s * s, 6);
  });
});
