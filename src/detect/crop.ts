import type { Box } from '../contracts/box.js';

/** How a box is cut for a second look; the same rule as `crop_box` in models/train/fire_crops.py. */
export interface CropRule {
  /** Output side in pixels (square). */
  size: number;
  /** The box grows by this factor around its centre: the flame's edge and what burns are part of the cue. */
  grow: number;
  /** Smallest crop side in frame pixels. */
  minSide: number;
}

/** The picture a crop is cut from: packed HWC, 3 bytes per pixel, the picture in the top-left content area. */
export interface CropSource {
  data: Uint8Array;
  width: number;
  contentWidth: number;
  contentHeight: number;
  /** True when the bytes are RGB and the crop must come out BGR (or the reverse). */
  swapRedBlue: boolean;
}

/** Integer source rectangle [left, top, right, bottom) for a box normalized to the picture; null when degenerate. Pure. */
export function cropRect(box: Box, src: Pick<CropSource, 'contentWidth' | 'contentHeight'>, rule: CropRule): Box | null {
  const [x1, y1, x2, y2] = [box[0] * src.contentWidth, box[1] * src.contentHeight, box[2] * src.contentWidth, box[3] * src.contentHeight];
  const cx = (x1 + x2) / 2;
  const cy = (y1 + y2) / 2;
  const w = Math.max((x2 - x1) * rule.grow, rule.minSide);
  const h = Math.max((y2 - y1) * rule.grow, rule.minSide);
  const l = Math.floor(Math.max(0, cx - w / 2));
  const r = Math.ceil(Math.min(src.contentWidth, cx + w / 2));
  const t = Math.floor(Math.max(0, cy - h / 2));
  const b = Math.ceil(Math.min(src.contentHeight, cy + h / 2));
  return r - l < 2 || b - t < 2 ? null : [l, t, r, b];
}

/**
 * Cut `rect` out of the picture and resize it bilinearly to size², written planar (CHW, 0–255 floats) into `out`
 * at `offset`. Sampling follows OpenCV's INTER_LINEAR (pixel centres at +0.5, edges clamped), which trained the
 * check. Pure apart from writing `out`.
 */
export function cropToChw(src: CropSource, rect: Box, size: number, out: Float32Array, offset: number): void {
  const [l, t, r, b] = rect;
  const sw = r - l;
  const sh = b - t;
  const plane = size * size;
  const c0 = src.swapRedBlue ? 2 : 0;
  const c2 = src.swapRedBlue ? 0 : 2;
  const stride = src.width * 3;
  for (let dy = 0; dy < size; dy++) {
    const [y0, y1, fy] = tap((dy + 0.5) * (sh / size) - 0.5, sh);
    const row0 = (t + y0) * stride;
    const row1 = (t + y1) * stride;
    for (let dx = 0; dx < size; dx++) {
      const [x0, x1, fx] = tap((dx + 0.5) * (sw / size) - 0.5, sw);
      const a = row0 + (l + x0) * 3;
      const bb = row0 + (l + x1) * 3;
      const c = row1 + (l + x0) * 3;
      const d = row1 + (l + x1) * 3;
      const o = offset + dy * size + dx;
      for (let ch = 0; ch < 3; ch++) {
        const k = ch === 0 ? c0 : ch === 2 ? c2 : 1;
        const top = src.data[a + k]! + (src.data[bb + k]! - src.data[a + k]!) * fx;
        const bottom = src.data[c + k]! + (src.data[d + k]! - src.data[c + k]!) * fx;
        out[o + ch * plane] = top + (bottom - top) * fy;
      }
    }
  }
}

/** Two neighbouring source indices and the weight of the second, clamped at the edges as OpenCV does. */
function tap(pos: number, n: number): [number, number, number] {
  let i = Math.floor(pos);
  let f = pos - i;
  if (i < 0) {
    i = 0;
    f = 0;
  }
  if (i >= n - 1) {
    i = n - 1;
    f = 0;
  }
  return [i, Math.min(i + 1, n - 1), f];
}
