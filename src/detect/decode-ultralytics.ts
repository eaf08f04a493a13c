import { type Proposal, type DecodeParams, sigmoid } from './proposal.js';

/**
 * Decode one image of an Ultralytics (YOLOv8/11) export, [4+C, A] — channel-major, i.e. transposed:
 * rows cx, cy, w, h (input pixels) then one row of class scores per class; no objectness.
 */
export function decodeUltralytics(data: Float32Array, p: DecodeParams): Proposal[] {
  const C = p.numClasses;
  const rows = 4 + C;
  if (data.length % rows !== 0) {
    throw new RangeError(`decodeUltralytics: output has ${data.length} values, not a multiple of 4+C = ${rows}`);
  }
  const A = data.length / rows;
  // Walk class rows in memory order (contiguous) rather than anchor by anchor (stride A).
  const bestScore = new Float32Array(A).fill(-Infinity);
  const bestClass = new Uint32Array(A);
  for (let c = 0; c < C; c++) {
    const off = (4 + c) * A;
    for (let a = 0; a < A; a++) {
      const v = data[off + a]!;
      if (v > bestScore[a]!) {
        bestScore[a] = v;
        bestClass[a] = c;
      }
    }
  }
  const out: Proposal[] = [];
  for (let a = 0; a < A; a++) {
    const c = bestClass[a]!;
    const score = p.sigmoidApplied ? bestScore[a]! : sigmoid(bestScore[a]!);
    if (score < p.thresholds[c]!) continue;
    const cx = data[a]!;
    const cy = data[A + a]!;
    const w = data[2 * A + a]!;
    const h = data[3 * A + a]!;
    out.push({ classId: c, score, box: [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2] });
  }
  return out;
}
