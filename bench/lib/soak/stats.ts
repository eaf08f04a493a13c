/** Pure statistics of the soak run (bench/soak.ts): samples, trend, verdict. */

export interface SoakSample {
  /** Seconds since the pipeline started. */
  t: number;
  /** RSS at the sample. */
  rssMb: number;
  /** Lowest and highest RSS of the one-second readings since the last sample: the trend is fitted to the
   * lowest (the floor a leak raises), so the garbage collector's sawtooth does not read as growth. */
  rssMinMb: number;
  rssMaxMb: number;
  heapUsedMb: number;
  externalMb: number;
  /** Sum of the RSS of the ffmpeg decoders (children of this process). */
  ffmpegRssMb: number;
  ffmpegCount: number;
  /** Event-loop delay over the last sampling interval, ms. */
  lagP50Ms: number;
  lagP99Ms: number;
  lagMaxMs: number;
  framesAnalyzed: number;
  /** Frames analyzed per second over the last interval. */
  fps: number;
  camerasLive: number;
  eventsOpened: number;
  queueDepth: number;
  /** This process's CPU over the last interval, % of one core. */
  cpuPct: number;
  loadAvg1: number;
}

export interface Trend {
  /** Least-squares slope, MB per 10 minutes. */
  mbPer10Min: number;
  /** Standard error of that slope (MB per 10 min): how far noise alone moves it in a run this long. */
  stderrPer10Min: number;
  /** Fitted value at the first and last sample, MB. */
  start: number;
  end: number;
  r2: number;
  n: number;
}

/** Least-squares line through (t seconds, y MB); slope reported per 10 minutes. */
export function linearTrend(points: ReadonlyArray<{ t: number; y: number }>): Trend {
  const n = points.length;
  if (n < 2) return { mbPer10Min: Number.NaN, stderrPer10Min: Number.NaN, start: points[0]?.y ?? Number.NaN, end: points[0]?.y ?? Number.NaN, r2: Number.NaN, n };
  const mt = points.reduce((s, p) => s + p.t, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (const p of points) {
    sxy += (p.t - mt) * (p.y - my);
    sxx += (p.t - mt) ** 2;
    syy += (p.y - my) ** 2;
  }
  const slope = sxx === 0 ? 0 : sxy / sxx;
  const t0 = points[0]!.t;
  const t1 = points[n - 1]!.t;
  const residual = Math.max(0, syy - slope * sxy);
  const se = n > 2 && sxx > 0 ? Math.sqrt(residual / (n - 2) / sxx) : Number.NaN;
  return {
    mbPer10Min: slope * 600,
    stderrPer10Min: se * 600,
    start: my + slope * (t0 - mt),
    end: my + slope * (t1 - mt),
    r2: sxx === 0 || syy === 0 ? 0 : (sxy * sxy) / (sxx * syy),
    n,
  };
}

export interface SoakBounds {
  /** RSS growth trend after warm-up must stay under this, MB per 10 min. */
  maxRssMbPer10Min: number;
  /** Event-loop delay p99 over the measured part must stay under this, ms. */
  maxLagP99Ms: number;
  /** Every camera must be live at the end and the analysis rate must not fall below this share of the expected. */
  minFpsShare: number;
}

export const DEFAULT_BOUNDS: SoakBounds = { maxRssMbPer10Min: 5, maxLagP99Ms: 200, minFpsShare: 0.8 };

export interface SoakVerdict {
  pass: boolean;
  /**
   * pass; fail (a bound missed for certain); or inconclusive — the RSS slope is above the bound but within two
   * standard errors of it, so the run was too short or too noisy to tell a leak from the garbage collector.
   */
  status: 'pass' | 'fail' | 'inconclusive';
  rss: Trend;
  heap: Trend;
  ffmpegRss: Trend;
  /** p99 of the event-loop delay over the measured part (whole-run histogram, not an average of samples). */
  lagP99Ms: number;
  lagMaxMs: number;
  fps: number;
  expectedFps: number;
  failures: string[];
}

/**
 * The verdict over the samples after warm-up. The RSS bound is on the fitted slope, so that one GC or one
 * arena growing early does not fail the run, but a steady leak of a few hundred kB a minute does.
 */
export function soakVerdict(
  samples: readonly SoakSample[],
  opts: { warmupSec: number; lagP99Ms: number; lagMaxMs: number; expectedFps: number; camerasTotal: number; bounds?: SoakBounds },
): SoakVerdict {
  const bounds = opts.bounds ?? DEFAULT_BOUNDS;
  const measured = samples.filter((s) => s.t >= opts.warmupSec);
  const rss = linearTrend(measured.map((s) => ({ t: s.t, y: s.rssMinMb })));
  const heap = linearTrend(measured.map((s) => ({ t: s.t, y: s.heapUsedMb })));
  const ffmpegRss = linearTrend(measured.map((s) => ({ t: s.t, y: s.ffmpegRssMb })));
  const first = measured[0];
  const last = measured.at(-1);
  const fps = first && last && last.t > first.t ? (last.framesAnalyzed - first.framesAnalyzed) / (last.t - first.t) : 0;
  const failures: string[] = [];
  let inconclusive = false;
  if (measured.length < 3) failures.push(`only ${measured.length} samples after the ${opts.warmupSec} s warm-up: run longer`);
  if (!(rss.mbPer10Min <= bounds.maxRssMbPer10Min)) {
    const growth = `RSS (floor) grows ${rss.mbPer10Min.toFixed(2)} ± ${rss.stderrPer10Min.toFixed(2)} MB per 10 min after warm-up (bound ${bounds.maxRssMbPer10Min})`;
    if (rss.mbPer10Min - 2 * rss.stderrPer10Min <= bounds.maxRssMbPer10Min) {
      inconclusive = true;
      failures.push(`${growth}: within two standard errors of the bound, so not a proven leak — run longer (30 min resolves it)`);
    } else failures.push(growth);
  }
  if (!(opts.lagP99Ms <= bounds.maxLagP99Ms)) failures.push(`event-loop delay p99 ${opts.lagP99Ms.toFixed(1)} ms (bound ${bounds.maxLagP99Ms})`);
  if (!(fps >= opts.expectedFps * bounds.minFpsShare)) failures.push(`analyzed ${fps.toFixed(2)} frames/s, expected ${opts.expectedFps.toFixed(2)} (at least ${Math.round(bounds.minFpsShare * 100)} %)`);
  if (last && last.camerasLive < opts.camerasTotal) failures.push(`${opts.camerasTotal - last.camerasLive} of ${opts.camerasTotal} cameras not live at the end`);
  const status = failures.length === 0 ? 'pass' : inconclusive && failures.length === 1 ? 'inconclusive' : 'fail';
  return { pass: status === 'pass', status, rss, heap, ffmpegRss, lagP99Ms: opts.lagP99Ms, lagMaxMs: opts.lagMaxMs, fps, expectedFps: opts.expectedFps, failures };
}

/** At most `max` rows, evenly spaced, first and last kept (for the markdown table). */
export function thin<T>(rows: readonly T[], max: number): T[] {
  if (rows.length <= max) return [...rows];
  const out: T[] = [];
  for (let i = 0; i < max; i++) out.push(rows[Math.round((i * (rows.length - 1)) / (max - 1))]!);
  return out;
}
