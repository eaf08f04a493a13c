import type { HealthCheck } from '../contracts/camera-status.js';
import type { Frame } from '../contracts/frame.js';

/**
 * Analyzability checks on the frames a camera is analyzed on — is the picture good enough for the detector
 * and the zones? — raised as ops alerts, separate from violation events. All of it is cheap arithmetic on
 * the letterboxed frame buffer already in memory (a few thousand sampled pixels per analyzed frame); no
 * second decode, no image library.
 */

/** The parts of a Frame the checks read (synthetic buffers in tests). */
export type FramePixels = Pick<Frame, 'data' | 'width' | 'height' | 'contentWidth' | 'contentHeight' | 'pixelFormat'>;

/** A small grayscale picture: luma 0–255, row-major. */
export interface Thumb {
  width: number;
  height: number;
  data: Float32Array;
}

function lumaAt(f: FramePixels, x: number, y: number): number {
  const i = (y * f.width + x) * 3;
  const d = f.data;
  const r = f.pixelFormat === 'rgb24' ? d[i]! : d[i + 2]!;
  const b = f.pixelFormat === 'rgb24' ? d[i + 2]! : d[i]!;
  return 0.299 * r + 0.587 * d[i + 1]! + 0.114 * b;
}

/** The real picture inside the letterbox (at least 1×1). */
function content(f: FramePixels): { w: number; h: number } {
  return { w: Math.max(1, Math.min(f.width, f.contentWidth || f.width)), h: Math.max(1, Math.min(f.height, f.contentHeight || f.height)) };
}

/**
 * Grayscale thumbnail of the picture (letterbox padding excluded): each cell is the mean luma of a 4×4
 * grid of samples inside its block — averaging makes it robust to noise and small motion, which is what
 * comparing a view with its reference needs.
 */
export function thumbnail(f: FramePixels, cols = 32, rows = 24): Thumb {
  const { w, h } = content(f);
  const data = new Float32Array(cols * rows);
  const S = 4;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      let sum = 0;
      for (let sy = 0; sy < S; sy++) {
        const y = Math.min(h - 1, Math.floor(((r + (sy + 0.5) / S) * h) / rows));
        for (let sx = 0; sx < S; sx++) {
          const x = Math.min(w - 1, Math.floor(((c + (sx + 0.5) / S) * w) / cols));
          sum += lumaAt(f, x, y);
        }
      }
      data[r * cols + c] = sum / (S * S);
    }
  }
  return { width: cols, height: rows, data };
}

/** Luma of single pixels on a regular grid (no averaging): what changes between two frames, noise included. */
export function samplePoints(f: FramePixels, n = 48): Float32Array {
  const { w, h } = content(f);
  const out = new Float32Array(n * n);
  for (let r = 0; r < n; r++) {
    const y = Math.min(h - 1, Math.floor(((r + 0.5) * h) / n));
    for (let c = 0; c < n; c++) out[r * n + c] = lumaAt(f, Math.min(w - 1, Math.floor(((c + 0.5) * w) / n)), y);
  }
  return out;
}

export function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]!;
  return values.length ? s / values.length : 0;
}

export function stdDev(values: ArrayLike<number>): number {
  const m = mean(values);
  let s = 0;
  for (let i = 0; i < values.length; i++) s += (values[i]! - m) ** 2;
  return values.length ? Math.sqrt(s / values.length) : 0;
}

/**
 * Sharpness: variance of the 4-neighbour Laplacian at full resolution, evaluated at an n×n grid of points
 * (the usual "variance of Laplacian" focus measure, sampled instead of computed on every pixel).
 */
export function laplacianVariance(f: FramePixels, n = 48): number {
  const { w, h } = content(f);
  if (w < 3 || h < 3) return 0;
  const values = new Float32Array(n * n);
  for (let r = 0; r < n; r++) {
    const y = 1 + Math.floor(((r + 0.5) * (h - 2)) / n);
    for (let c = 0; c < n; c++) {
      const x = 1 + Math.floor(((c + 0.5) * (w - 2)) / n);
      values[r * n + c] = 4 * lumaAt(f, x, y) - lumaAt(f, x - 1, y) - lumaAt(f, x + 1, y) - lumaAt(f, x, y - 1) - lumaAt(f, x, y + 1);
    }
  }
  const sd = stdDev(values);
  return sd * sd;
}

/** Mean absolute difference of two equally sized sample sets. */
export function meanAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length || a.length === 0) return Number.POSITIVE_INFINITY;
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!);
  return s / a.length;
}

/**
 * Pearson correlation of two thumbnails: 1 = same structure (whatever the brightness and contrast, so
 * day/night and exposure changes do not count), near 0 or below = a different view. NaN when either is flat.
 */
export function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length || a.length === 0) return Number.NaN;
  const ma = mean(a);
  const mb = mean(b);
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < a.length; i++) {
    const da = a[i]! - ma;
    const db = b[i]! - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  if (saa < 1e-6 || sbb < 1e-6) return Number.NaN;
  return sab / Math.sqrt(saa * sbb);
}

/** What one frame measured. */
export interface FrameMeasures {
  meanLuma: number;
  /** Std-dev of the thumbnail: low = flat picture (fog, lens cap, a wall). */
  contrast: number;
  /**
   * Fine detail relative to coarse structure: Laplacian variance / contrast². Defocus removes the fine
   * detail and keeps the coarse structure; fog and dusk lower both, so the ratio holds. On Patrol's fixture
   * scenes it is ≥ 0.18 (haze) to ≈ 1.6 (night grain); a 13-px box blur of a sharp scene gives ≈ 0.02.
   */
  sharpness: number;
  /** Mean absolute difference of sampled pixels to the previous analyzed frame (undefined for the first). */
  change?: number;
  /** Correlation of the thumbnail with the reference view (undefined until there is one). */
  similarity?: number;
}

export interface HealthThresholds {
  /** Mean luma below this = too dark. */
  darkLuma: number;
  /** Sharpness ratio below this = blurred (not checked on dark or flat pictures). */
  blurRatio: number;
  /** Thumbnail std-dev below this = flat picture: blur is not judged on it. */
  minContrast: number;
  /** Sampled-pixel change below this (0–255) = the same picture again. */
  frozenChange: number;
  /** Frozen when at least this many of the last `frozenWindow` analyses repeated the picture before them. */
  frozenFrames: number;
  frozenWindow: number;
  /** Correlation with the reference below this = a different view. */
  shiftCorrelation: number;
  /** A dark/blurred/shifted condition must hold this many analyses in a row to raise, and be gone as long to clear. */
  persist: number;
}

export const DEFAULT_HEALTH: HealthThresholds = {
  darkLuma: 28,
  blurRatio: 0.05,
  minContrast: 8,
  frozenChange: 0.5,
  frozenFrames: 4,
  frozenWindow: 6,
  shiftCorrelation: 0.5,
  persist: 3,
};

export interface HealthChange {
  check: HealthCheck;
  raised: boolean;
  /** The measure that decided (mean luma, Laplacian variance, change, correlation). */
  value: number;
  message: string;
}

const MESSAGES: Record<HealthCheck, [raised: string, cleared: string]> = {
  frozen: ['picture frozen: the same image over and over (encoder or stream stuck)', 'picture moving again'],
  dark: ['picture too dark to analyze (night without IR, lens covered, exposure)', 'picture bright enough again'],
  blurred: ['picture heavily blurred (focus, dirty or fogged lens, rain)', 'picture sharp again'],
  shifted: ['view shifted from its reference (camera moved or zoomed): zones may be invalid', 'view back to its reference'],
};

/**
 * The checks' state for one camera, fed with every analyzed frame. Each check is raised after `persist`
 * bad analyses in a row and cleared after as many good ones, so a passing shadow or one odd frame never
 * flaps an alert. Frozen counts repeats in a window instead: a stuck source re-encoded by the camera does
 * not always decode to the very same pixels (rate control varies the keyframes' quality), so some repeats
 * are missed; `frozenFrames` exact repeats among the last `frozenWindow` analyses raise it (a live scene,
 * however still, never repeats exactly: sensor grain and coding noise differ), `persist` changed pictures
 * in a row clear it. Frozen detection is therefore conservative: it can miss a frozen camera whose
 * keyframes keep changing in coding noise, never flags a still street. The reference view is the first sharp, bright,
 * non-flat picture seen (or one given, e.g. kept from an earlier run); `resetReference` re-takes it after
 * ops re-aimed the camera and redrew its zones.
 */
export class CameraHealth {
  private readonly t: HealthThresholds;
  private previous: Float32Array | undefined;
  private reference: Thumb | undefined;
  private readonly raised = new Map<HealthCheck, boolean>();
  private readonly streak = new Map<HealthCheck, number>();
  private repeats: boolean[] = [];
  last: FrameMeasures | undefined;

  constructor(
    readonly cameraId: string,
    thresholds: Partial<HealthThresholds> = {},
    reference?: Thumb,
  ) {
    this.t = { ...DEFAULT_HEALTH, ...thresholds };
    this.reference = reference;
  }

  get referenceView(): Thumb | undefined {
    return this.reference;
  }

  resetReference(): void {
    this.reference = undefined;
  }

  isRaised(check: HealthCheck): boolean {
    return this.raised.get(check) ?? false;
  }

  /** Measures one analyzed frame and returns the alerts it raised or cleared. */
  observe(f: FramePixels): HealthChange[] {
    const thumb = thumbnail(f);
    const points = samplePoints(f);
    const contrast = stdDev(thumb.data);
    const m: FrameMeasures = { meanLuma: mean(thumb.data), contrast, sharpness: laplacianVariance(f) / Math.max(1, contrast * contrast) };
    if (this.previous) m.change = meanAbsDiff(points, this.previous);
    this.previous = points;

    const dark = m.meanLuma < this.t.darkLuma;
    const flat = m.contrast < this.t.minContrast;
    const blurred = !dark && !flat && m.sharpness < this.t.blurRatio;
    if (!this.reference && !dark && !flat && !blurred) this.reference = thumb;
    if (this.reference && !dark && !flat) m.similarity = correlation(thumb.data, this.reference.data);
    const shifted = m.similarity !== undefined && Number.isFinite(m.similarity) && m.similarity < this.t.shiftCorrelation;
    const repeated = m.change !== undefined && m.change < this.t.frozenChange;
    this.repeats.push(repeated);
    if (this.repeats.length > this.t.frozenWindow) this.repeats.shift();
    this.last = m;

    const changes: HealthChange[] = [];
    const repeatsInWindow = this.repeats.filter(Boolean).length;
    this.update('frozen', repeated && repeatsInWindow >= this.t.frozenFrames, !repeated, m.change ?? 0, changes, !this.isRaised('frozen'));
    this.update('dark', dark, !dark, m.meanLuma, changes);
    // Blur and view are not judged on a dark or flat picture: they keep their state.
    if (!dark && !flat) {
      this.update('blurred', blurred, !blurred, m.sharpness, changes);
      if (m.similarity !== undefined && Number.isFinite(m.similarity)) this.update('shifted', shifted, !shifted, m.similarity, changes);
    }
    return changes;
  }

  private update(check: HealthCheck, bad: boolean, good: boolean, value: number, out: HealthChange[], immediate = false): void {
    const on = this.isRaised(check);
    const wantsFlip = on ? good : bad;
    const streak = wantsFlip ? (this.streak.get(check) ?? 0) + 1 : 0;
    this.streak.set(check, streak);
    if (!wantsFlip || (!immediate && streak < this.t.persist)) return;
    this.raised.set(check, !on);
    this.streak.set(check, 0);
    out.push({ check, raised: !on, value, message: MESSAGES[check][on ? 1 : 0] });
  }
}
