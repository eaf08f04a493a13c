import { CELL, type Grid, type ScenePixels } from './features.js';

/**
 * The reference as a picture, at half resolution (BGR): what each cell looked like when it last matched
 * the reference. It gives an event its "before" crop next to the frame "now" — the persistence proof.
 * Half resolution keeps it to ~100 KB a camera.
 */
export interface ReferencePicture {
  width: number;
  height: number;
  /** Packed BGR. */
  data: Uint8Array;
}

const H = CELL / 2;

export function newReferencePicture(grid: Grid): ReferencePicture {
  const width = grid.cols * H;
  const height = grid.rows * H;
  return { width, height, data: new Uint8Array(width * height * 3) };
}

/**
 * Copies the cells marked in `cells` from the frame (every other pixel) into a copy of the picture. Only
 * every `every`-th cell in turn (rotating with `frame`), which spreads the cost over frames.
 */
export function copyCellsToPicture(pic: ReferencePicture, px: ScenePixels, cells: Uint8Array, frame: number, every: number): ReferencePicture {
  const cols = pic.width / H;
  let any = false;
  for (let k = frame % every; k < cells.length; k += every) if (cells[k]) { any = true; break; }
  if (!any) return pic;
  const data = pic.data.slice();
  const bFirst = px.pixelFormat !== 'rgb24';
  for (let k = frame % every; k < cells.length; k += every) {
    if (!cells[k]) continue;
    const r = (k / cols) | 0;
    const c = k - r * cols;
    for (let y = 0; y < H; y++) {
      let src = ((r * CELL + y * 2) * px.width + c * CELL) * 3;
      let dst = ((r * H + y) * pic.width + c * H) * 3;
      for (let x = 0; x < H; x++, src += 6, dst += 3) {
        const a = px.data[src]!;
        const g = px.data[src + 1]!;
        const b = px.data[src + 2]!;
        data[dst] = bFirst ? a : b;
        data[dst + 1] = g;
        data[dst + 2] = bFirst ? b : a;
      }
    }
  }
  return { ...pic, data };
}

/** A crop of the picture around a normalized box (of the grid's content area), as packed BGR. */
export function cropReference(pic: ReferencePicture, grid: Grid, box: readonly number[], pad = 0.25): { width: number; height: number; data: Uint8Array } {
  const cw = (grid.contentWidth / CELL) * H;
  const ch = (grid.contentHeight / CELL) * H;
  const w = box[2]! - box[0]!;
  const h = box[3]! - box[1]!;
  const x0 = Math.max(0, Math.floor((box[0]! - w * pad) * cw));
  const y0 = Math.max(0, Math.floor((box[1]! - h * pad) * ch));
  const x1 = Math.min(pic.width, Math.ceil((box[2]! + w * pad) * cw));
  const y1 = Math.min(pic.height, Math.ceil((box[3]! + h * pad) * ch));
  const width = Math.max(1, x1 - x0);
  const height = Math.max(1, y1 - y0);
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height && y0 + y < pic.height; y++) {
    const src = ((y0 + y) * pic.width + x0) * 3;
    data.set(pic.data.subarray(src, src + Math.min(width, pic.width - x0) * 3), y * width * 3);
  }
  return { width, height, data };
}
