import type { Box } from '../contracts/box.js';

/**
 * What a short burst of consecutive frames shows inside a fire or smoke candidate's box. Pure functions over packed
 * RGB frames, so they are unit-testable on synthetic bursts.
 *
 * Flames are flame-coloured and flicker: their outline changes between every pair of frames at 5–15 Hz, everywhere
 * along it and irregularly. The look-alikes are either steady (foliage, clothing, umbrellas, lamps, lit signs), change
 * all at once (a blinking sign toggles as one block, then stays), or move as a rigid body (head- and brake lights).
 * Smoke drifts and changes slowly, is grey rather than white (steam) and does not fill the whole picture (fog).
 */
export interface BurnFeatures {
  frames: number;
  /** Mean share of the box that is flame-coloured. */
  flameFraction: number;
  /** Median over consecutive frame pairs of (pixels whose flame mask toggled / flame-coloured pixels). */
  flicker: number;
  /** Share of frame pairs in which over 60 % of the flame pixels toggled at once (a light switching). */
  blockToggle: number;
  /** Net movement of the flame-coloured centroid over its path length (1: straight-line motion of a rigid light). */
  straightness: number;
  /** Net centroid movement, in box widths. */
  travel: number;
  /** Median absolute grey change per pixel between consecutive frames inside the box, over the same outside it. */
  motionRatio: number;
  /** Mean saturation (0..1) and brightness (0..255) inside the box. */
  saturation: number;
  brightness: number;
  /** Share of the picture the box covers. */
  boxArea: number;
}

/** A pixel of an open flame: bright, red over green over blue, clearly not grey; or the white-yellow core. */
export function isFlame(r: number, g: number, b: number): boolean {
  return (r > 140 && r >= g && g >= b && r - b > 70) || (r > 230 && g > 190 && b < 200 && r - b > 40);
}

function median(v: number[]): number {
  if (v.length === 0) return 0;
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Integer pixel rectangle of a normalized box grown by `grow` of its size, clipped to the picture. */
export function pixelRect(box: Box, width: number, height: number, grow = 0.1): Box {
  const [x1, y1, x2, y2] = box;
  const gx = (x2 - x1) * grow;
  const gy = (y2 - y1) * grow;
  const l = Math.max(0, Math.floor((x1 - gx) * width));
  const t = Math.max(0, Math.floor((y1 - gy) * height));
  const r = Math.min(width, Math.ceil((x2 + gx) * width));
  const b = Math.min(height, Math.ceil((y2 + gy) * height));
  return [l, t, Math.max(l + 1, r), Math.max(t + 1, b)];
}

export function burnFeatures(frames: readonly Buffer[], width: number, height: number, box: Box): BurnFeatures {
  const [l, t, r, b] = pixelRect(box, width, height);
  const bw = r - l;
  const bh = b - t;
  const n = bw * bh;
  const masks: Uint8Array[] = [];
  let flameSum = 0;
  let satSum = 0;
  let valSum = 0;
  const centroids: ([number, number] | undefined)[] = [];
  for (const f of frames) {
    const m = new Uint8Array(n);
    let cnt = 0;
    let cx = 0;
    let cy = 0;
    for (let y = 0; y < bh; y++) {
      let p = ((t + y) * width + l) * 3;
      for (let x = 0; x < bw; x++, p += 3) {
        const R = f[p]!;
        const G = f[p + 1]!;
        const B = f[p + 2]!;
        const i = y * bw + x;
        const mx = Math.max(R, G, B);
        const mn = Math.min(R, G, B);
        satSum += mx === 0 ? 0 : (mx - mn) / mx;
        valSum += mx;
        if (isFlame(R, G, B)) {
          m[i] = 1;
          cnt++;
          cx += x;
          cy += y;
        }
      }
    }
    masks.push(m);
    flameSum += cnt / n;
    centroids.push(cnt > 0 ? [cx / cnt / bw, cy / cnt / bh] : undefined);
  }
  const toggles: number[] = [];
  let block = 0;
  for (let k = 1; k < masks.length; k++) {
    const a = masks[k - 1]!;
    const c = masks[k]!;
    let flip = 0;
    let union = 0;
    for (let i = 0; i < n; i++) {
      if (a[i] !== c[i]) flip++;
      if (a[i] || c[i]) union++;
    }
    const ratio = union > 0 ? flip / union : 0;
    toggles.push(ratio);
    if (union > 0 && ratio > 0.6) block++;
  }
  // Rigid motion: the flame centroid's path.
  let path = 0;
  let first: [number, number] | undefined;
  let last: [number, number] | undefined;
  let prev: [number, number] | undefined;
  for (const c of centroids) {
    if (!c) continue;
    if (!first) first = c;
    if (prev) path += Math.hypot(c[0] - prev[0], c[1] - prev[1]);
    prev = c;
    last = c;
  }
  const travel = first && last ? Math.hypot(last[0] - first[0], last[1] - first[1]) : 0;
  // Motion inside vs outside the box (compression noise, camera shake and global light changes are outside too).
  const inside: number[] = [];
  const outside: number[] = [];
  for (let k = 1; k < frames.length; k++) {
    const a = frames[k - 1]!;
    const c = frames[k]!;
    let sIn = 0;
    let sOut = 0;
    let nIn = 0;
    let nOut = 0;
    // Every 4th pixel: the ratio needs no more.
    for (let y = 0; y < height; y += 2) {
      for (let x = 0; x < width; x += 2) {
        const p = (y * width + x) * 3;
        const d = Math.abs(a[p]! + a[p + 1]! + a[p + 2]! - c[p]! - c[p + 1]! - c[p + 2]!) / 3;
        if (x >= l && x < r && y >= t && y < b) {
          sIn += d;
          nIn++;
        } else {
          sOut += d;
          nOut++;
        }
      }
    }
    inside.push(nIn > 0 ? sIn / nIn : 0);
    outside.push(nOut > 0 ? sOut / nOut : 0);
  }
  const mIn = median(inside);
  const mOut = median(outside);
  return {
    frames: frames.length,
    flameFraction: frames.length > 0 ? flameSum / frames.length : 0,
    flicker: median(toggles),
    blockToggle: toggles.length > 0 ? block / toggles.length : 0,
    straightness: path > 1e-6 ? travel / path : 0,
    travel,
    motionRatio: mIn / Math.max(0.5, mOut),
    saturation: frames.length > 0 ? satSum / (n * frames.length) : 0,
    brightness: frames.length > 0 ? valSum / (n * frames.length) : 0,
    boxArea: (bw * bh) / (width * height),
  };
}
