import type { Box } from '../contracts/box.js';

/**
 * Map a box in model-input pixels back to coordinates normalized to the camera picture. The picture was
 * scaled into the top-left contentWidth × contentHeight pixels (letterbox at top-left, as ffmpeg pads it),
 * so there is no offset: divide and clip to [0,1]. Returns undefined when nothing of the box is inside
 * the picture (a detection in the padding).
 */
export function toPictureBox(box: Readonly<Box>, contentWidth: number, contentHeight: number): Box | undefined {
  const x1 = clip01(box[0] / contentWidth);
  const y1 = clip01(box[1] / contentHeight);
  const x2 = clip01(box[2] / contentWidth);
  const y2 = clip01(box[3] / contentHeight);
  if (x2 <= x1 || y2 <= y1) return undefined;
  return [x1, y1, x2, y2];
}

function clip01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}
