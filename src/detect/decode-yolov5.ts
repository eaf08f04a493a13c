import { type Proposal, type DecodeParams, objectnessFloor, scoreAnchor } from './proposal.js';

/**
 * Decode one image of a YOLOv5-style export, [A, 5+C] row-major: cx, cy, w, h already in input pixels,
 * objectness, C class scores. One proposal per anchor (best class, score obj·cls).
 */
export function decodeYolov5(data: Float32Array, p: DecodeParams): Proposal[] {
  const C = p.numClasses;
  const row = 5 + C;
  if (data.length % row !== 0) {
    throw new RangeError(`decodeYolov5: output has ${data.length} values, not a multiple of 5+C = ${row}`);
  }
  const objFloor = objectnessFloor(p);
  const out: Proposal[] = [];
  for (let base = 0; base < data.length; base += row) {
    const hit = scoreAnchor(data, base, p, objFloor);
    if (!hit) continue;
    const cx = data[base]!;
    const cy = data[base + 1]!;
    const w = data[base + 2]!;
    const h = data[base + 3]!;
    out.push({ ...hit, box: [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2] });
  }
  return out;
}
