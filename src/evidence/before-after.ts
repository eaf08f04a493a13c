import sharp from 'sharp';
import type { Box } from '../contracts/box.js';
import type { Frame } from '../contracts/frame.js';
import type { Grid } from '../scene/features.js';
import type { ReferencePicture } from '../scene/reference-picture.js';

/**
 * The persistence proof of an object the scene model found: what the spot looked like in the reference
 * (before) beside the frame now (after), the region outlined in both, side by side in one JPEG. A
 * reviewer sees at a glance that something was put down there and what.
 */

type Rect = { x: number; y: number; w: number; h: number };

/** Packed RGB crop of a packed 3-byte picture, with the box outlined. */
function crop(src: Uint8Array, srcW: number, srcH: number, bgr: boolean, r: Rect, outline: Rect): Buffer {
  const out = Buffer.alloc(r.w * r.h * 3);
  for (let y = 0; y < r.h; y++) {
    const sy = Math.min(srcH - 1, r.y + y);
    for (let x = 0; x < r.w; x++) {
      const s = (sy * srcW + Math.min(srcW - 1, r.x + x)) * 3;
      const d = (y * r.w + x) * 3;
      out[d] = src[bgr ? s + 2 : s]!;
      out[d + 1] = src[s + 1]!;
      out[d + 2] = src[bgr ? s : s + 2]!;
    }
  }
  const t = Math.max(1, Math.round(Math.min(r.w, r.h) / 80));
  for (let y = 0; y < r.h; y++) {
    for (let x = 0; x < r.w; x++) {
      const ox = x - outline.x;
      const oy = y - outline.y;
      const inside = ox >= -t && oy >= -t && ox < outline.w + t && oy < outline.h + t;
      const edge = inside && (ox < 0 || oy < 0 || ox >= outline.w || oy >= outline.h);
      if (edge) out.set([255, 48, 32], (y * r.w + x) * 3);
    }
  }
  return out;
}

/** Normalized box and its surroundings (half a box on each side) in a picture of w × h pixels. */
function rects(box: Box, w: number, h: number): { view: Rect; outline: Rect } {
  const bw = box[2] - box[0];
  const bh = box[3] - box[1];
  const x0 = Math.max(0, Math.floor((box[0] - bw / 2) * w));
  const y0 = Math.max(0, Math.floor((box[1] - bh / 2) * h));
  const x1 = Math.min(w, Math.ceil((box[2] + bw / 2) * w));
  const y1 = Math.min(h, Math.ceil((box[3] + bh / 2) * h));
  const view = { x: x0, y: y0, w: Math.max(2, x1 - x0), h: Math.max(2, y1 - y0) };
  const outline = { x: Math.round(box[0] * w) - x0, y: Math.round(box[1] * h) - y0, w: Math.max(1, Math.round(bw * w)), h: Math.max(1, Math.round(bh * h)) };
  return { view, outline };
}

export async function renderBeforeAfter(reference: ReferencePicture, grid: Grid, frame: Frame, box: Box, height = 240): Promise<Buffer> {
  // The reference picture is the grid's content at half resolution.
  const refW = Math.min(reference.width, Math.round(grid.contentWidth / 2));
  const refH = Math.min(reference.height, Math.round(grid.contentHeight / 2));
  const before = rects(box, refW, refH);
  const after = rects(box, frame.contentWidth, frame.contentHeight);
  const beforeRgb = crop(reference.data, reference.width, reference.height, true, before.view, before.outline);
  const afterRgb = crop(frame.data, frame.width, frame.height, frame.pixelFormat === 'bgr24', after.view, after.outline);
  const scaled = async (rgb: Buffer, r: Rect) => {
    const w = Math.max(1, Math.round((r.w * height) / r.h));
    return { buf: await sharp(rgb, { raw: { width: r.w, height: r.h, channels: 3 } }).resize(w, height).png().toBuffer(), w };
  };
  const a = await scaled(beforeRgb, before.view);
  const b = await scaled(afterRgb, after.view);
  const gap = 8;
  return sharp({ create: { width: a.w + gap + b.w, height, channels: 3, background: { r: 32, g: 32, b: 32 } } })
    .composite([
      { input: a.buf, left: 0, top: 0 },
      { input: b.buf, left: a.w + gap, top: 0 },
    ])
    .jpeg({ quality: 85 })
    .toBuffer();
}
