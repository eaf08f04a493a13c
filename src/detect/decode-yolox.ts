import { type Proposal, type DecodeParams, objectnessFloor, scoreAnchor } from './proposal.js';

export interface YoloxParams extends DecodeParams {
  /** Feature-map strides, in the order the head concatenates them (YOLOX: 8, 16, 32). */
  strides: readonly number[];
}

/** Number of anchors (grid cells) a YOLOX head emits for this input size: sum over strides of (W/s)·(H/s). */
export function yoloxAnchorCount(inputWidth: number, inputHeight: number, strides: readonly number[]): number {
  let n = 0;
  for (const s of strides) n += Math.floor(inputWidth / s) * Math.floor(inputHeight / s);
  return n;
}

/**
 * Decode one image's raw YOLOX grid output, [A, 5+C] row-major: per anchor x, y (offsets within the cell),
 * w, h (log-scale), objectness, C class scores. Anchors run stride by stride, row by row, x fastest — the
 * order of YOLOX's meshgrid. Each anchor yields at most one proposal: its best class, score obj·cls, kept
 * when it reaches that class's threshold.
 */
export function decodeYolox(data: Float32Array, p: YoloxParams): Proposal[] {
  const C = p.numClasses;
  const row = 5 + C;
  const expected = yoloxAnchorCount(p.inputWidth, p.inputHeight, p.strides) * row;
  if (data.length !== expected) {
    throw new RangeError(`decodeYolox: output has ${data.length} values, expected ${expected} (anchors × ${row})`);
  }
  const objFloor = objectnessFloor(p);
  const out: Proposal[] = [];
  let base = 0;
  for (const s of p.strides) {
    const gw = Math.floor(p.inputWidth / s);
    const gh = Math.floor(p.inputHeight / s);
    for (let gy = 0; gy < gh; gy++) {
      for (let gx = 0; gx < gw; gx++, base += row) {
        const hit = scoreAnchor(data, base, p, objFloor);
        if (!hit) continue;
        const cx = (data[base]! + gx) * s;
        const cy = (data[base + 1]! + gy) * s;
        const w = Math.exp(data[base + 2]!) * s;
        const h = Math.exp(data[base + 3]!) * s;
        out.push({ ...hit, box: [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2] });
      }
    }
  }
  return out;
}
