import type { Box } from '../contracts/box.js';
import { CELL, type Grid } from './features.js';

/** A connected set of static cells, in cell coordinates (inclusive bounds). */
export interface Component {
  cells: number[];
  c0: number;
  r0: number;
  c1: number;
  r1: number;
}

/**
 * 8-connected components of the marked cells with at least `minCells` cells. 8-connectivity because a
 * uniform object's interior can look like the pavement (the ratio features see its edges), so its outline
 * joins diagonally.
 */
export function components(marked: Uint8Array, grid: Grid, minCells: number): Component[] {
  const { cols, rows } = grid;
  const seen = new Uint8Array(marked.length);
  const out: Component[] = [];
  const stack: number[] = [];
  for (let start = 0; start < marked.length; start++) {
    if (!marked[start] || seen[start]) continue;
    const comp: Component = { cells: [], c0: cols, r0: rows, c1: -1, r1: -1 };
    seen[start] = 1;
    stack.push(start);
    while (stack.length) {
      const k = stack.pop()!;
      comp.cells.push(k);
      const r = (k / cols) | 0;
      const c = k - r * cols;
      if (c < comp.c0) comp.c0 = c;
      if (c > comp.c1) comp.c1 = c;
      if (r < comp.r0) comp.r0 = r;
      if (r > comp.r1) comp.r1 = r;
      for (let dr = -1; dr <= 1; dr++) {
        const rr = r + dr;
        if (rr < 0 || rr >= rows) continue;
        for (let dc = -1; dc <= 1; dc++) {
          const cc = c + dc;
          if (cc < 0 || cc >= cols) continue;
          const j = rr * cols + cc;
          if (marked[j] && !seen[j]) {
            seen[j] = 1;
            stack.push(j);
          }
        }
      }
    }
    if (comp.cells.length >= minCells) out.push(comp);
  }
  return out;
}

/** Normalized picture box [x1, y1, x2, y2] of a component. */
export function componentBox(comp: Component, grid: Grid): Box {
  const cw = grid.contentWidth / CELL;
  const ch = grid.contentHeight / CELL;
  return [comp.c0 / cw, comp.r0 / ch, (comp.c1 + 1) / cw, (comp.r1 + 1) / ch];
}

/** Cells whose area a normalized box covers (clamped to the grid), expanded by `pad` cells. */
export function boxCells(box: readonly number[], grid: Grid, pad: number): { c0: number; r0: number; c1: number; r1: number } | null {
  const cw = grid.contentWidth / CELL;
  const ch = grid.contentHeight / CELL;
  const c0 = Math.max(0, Math.floor(box[0]! * cw) - pad);
  const r0 = Math.max(0, Math.floor(box[1]! * ch) - pad);
  const c1 = Math.min(grid.cols - 1, Math.ceil(box[2]! * cw) - 1 + pad);
  const r1 = Math.min(grid.rows - 1, Math.ceil(box[3]! * ch) - 1 + pad);
  return c0 > c1 || r0 > r1 ? null : { c0, r0, c1, r1 };
}
