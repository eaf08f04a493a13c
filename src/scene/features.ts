import type { Frame } from '../contracts/frame.js';

/**
 * Illumination-robust cell features of an analyzed frame. The picture (letterbox padding excluded) is cut
 * into a grid of CELL×CELL pixel cells, 8 pixels sampled in each; each cell gets a few numbers that a
 * change of light leaves nearly unchanged but an object put down does not:
 *  - its mean luma relative to the mean of the 7×7 cells around it (a gain cancels in the log ratio),
 *  - its luma relative to its right and lower neighbours (an ordinal, census-like pattern),
 *  - its texture (gradient energy over mean luma),
 *  - two chroma ratios (colour does not scale with brightness).
 * Sun, cloud and dusk scale luma locally, so the ratios hold; a new object changes edges, texture and colour.
 */

/** The parts of a Frame the features read (synthetic buffers in tests). */
export type ScenePixels = Pick<Frame, 'data' | 'width' | 'height' | 'contentWidth' | 'contentHeight' | 'pixelFormat'>;

export const CELL = 8;
/** Numbers per cell. */
export const F = 6;
/** Index of the texture feature within a cell's vector. */
export const TEXTURE = 3;

export interface Grid {
  cols: number;
  rows: number;
  /** The real picture's size in pixels (the grid covers cols*CELL × rows*CELL of it). */
  contentWidth: number;
  contentHeight: number;
}

export interface CellFeatures {
  grid: Grid;
  /** cols*rows*F, row-major cells. */
  f: Float32Array;
  /** Mean luma per cell (0-255), for the global-change and frozen-picture checks. */
  luma: Float32Array;
}

export function gridOf(p: ScenePixels): Grid {
  const cw = Math.max(CELL, Math.min(p.width, p.contentWidth || p.width));
  const ch = Math.max(CELL, Math.min(p.height, p.contentHeight || p.height));
  return { cols: Math.floor(cw / CELL), rows: Math.floor(ch / CELL), contentWidth: cw, contentHeight: ch };
}

export function sameGrid(a: Grid, b: Grid): boolean {
  return a.cols === b.cols && a.rows === b.rows && a.contentWidth === b.contentWidth && a.contentHeight === b.contentHeight;
}

/** Offset added to luma before ratios: keeps near-black cells (sensor noise at night) from exploding. */
const DARK = 20;
const BLOCK_R = 3;

export function cellFeatures(p: ScenePixels): CellFeatures {
  const grid = gridOf(p);
  const { cols, rows } = grid;
  const n = cols * rows;
  const sumL = new Float32Array(n);
  const sumB = new Float32Array(n);
  const sumG = new Float32Array(n);
  const sumR = new Float32Array(n);
  const grad = new Float32Array(n);
  const d = p.data;
  const stride = p.width * 3;
  const bFirst = p.pixelFormat !== 'rgb24';
  // Every other pixel along a row, two rows per cell (4 apart): 8 samples per cell, 1/8 of the pixels.
  const half = CELL / 2;
  const sw = cols * half;
  const prevRow = new Float32Array(sw);
  for (let sy = 0; sy < rows * 2; sy++) {
    const y = sy * half + 1;
    const cr = sy >> 1;
    let i = y * stride + 3;
    let prevL = -1;
    const rowCell = cr * cols;
    for (let sx = 0; sx < sw; sx++, i += 6) {
      const c0 = d[i]!;
      const g = d[i + 1]!;
      const c2 = d[i + 2]!;
      const b = bFirst ? c0 : c2;
      const r = bFirst ? c2 : c0;
      const l = 0.114 * b + 0.587 * g + 0.299 * r;
      const cell = rowCell + (sx >> 2);
      sumL[cell]! += l;
      sumB[cell]! += b;
      sumG[cell]! += g;
      sumR[cell]! += r;
      let e = 0;
      if (prevL >= 0) e += Math.abs(l - prevL);
      if (sy > 0) e += Math.abs(l - prevRow[sx]!);
      grad[cell]! += e;
      prevRow[sx] = l;
      prevL = l;
    }
  }
  const per = 2 * half;
  const luma = new Float32Array(n);
  for (let c = 0; c < n; c++) luma[c] = sumL[c]! / per;

  // Integral image of luma over cells for the 7×7 block means.
  const W = cols + 1;
  const integ = new Float64Array(W * (rows + 1));
  for (let r = 0; r < rows; r++) {
    let acc = 0;
    for (let c = 0; c < cols; c++) {
      acc += luma[r * cols + c]!;
      integ[(r + 1) * W + c + 1] = integ[r * W + c + 1]! + acc;
    }
  }

  const f = new Float32Array(n * F);
  for (let r = 0; r < rows; r++) {
    const r0 = Math.max(0, r - BLOCK_R);
    const r1 = Math.min(rows, r + BLOCK_R + 1);
    for (let c = 0; c < cols; c++) {
      const c0 = Math.max(0, c - BLOCK_R);
      const c1 = Math.min(cols, c + BLOCK_R + 1);
      const block = (integ[r1 * W + c1]! - integ[r0 * W + c1]! - integ[r1 * W + c0]! + integ[r0 * W + c0]!) / ((r1 - r0) * (c1 - c0));
      const k = r * cols + c;
      const m = luma[k]! + DARK;
      const right = c + 1 < cols ? luma[k + 1]! + DARK : m;
      const down = r + 1 < rows ? luma[k + cols]! + DARK : m;
      const sum = sumB[k]! + sumG[k]! + sumR[k]! + 3 * DARK * per;
      const o = k * F;
      f[o] = Math.log(m / (block + DARK));
      f[o + 1] = Math.log(m / right);
      f[o + 2] = Math.log(m / down);
      f[o + TEXTURE] = Math.log1p((4 * grad[k]!) / (per * m));
      f[o + 4] = (sumB[k]! - sumR[k]!) / sum;
      f[o + 5] = (2 * sumG[k]! - sumB[k]! - sumR[k]!) / sum;
    }
  }
  return { grid, f, luma };
}

/** Weighted L1 distance between cell a of one feature array and cell b of another. */
export function cellDistance(x: Float32Array, y: Float32Array, cell: number): number {
  const o = cell * F;
  return (
    Math.abs(x[o]! - y[o]!) +
    0.5 * (Math.abs(x[o + 1]! - y[o + 1]!) + Math.abs(x[o + 2]! - y[o + 2]!)) +
    0.7 * Math.abs(x[o + 3]! - y[o + 3]!) +
    2.5 * (Math.abs(x[o + 4]! - y[o + 4]!) + Math.abs(x[o + 5]! - y[o + 5]!))
  );
}
