/**
 * Projection of measured per-stream costs to a fleet size. Pure. Everything here is arithmetic on measured
 * numbers, and every output is labelled a projection by the report.
 */

/** Streams one core carries at this cost: 1000 CPU-ms per second of wall time / cost per camera-second. */
export function streamsPerCore(cpuMsPerCameraSecond: number): number {
  return cpuMsPerCameraSecond > 0 ? 1000 / cpuMsPerCameraSecond : Number.NaN;
}

/** Cores busy for `streams` cameras at a per-camera cost, plus a fixed share (e.g. the control plane). */
export function coresFor(streams: number, cpuMsPerCameraSecond: number, fixedCores = 0): number {
  return (streams * cpuMsPerCameraSecond) / 1000 + fixedCores;
}

export interface LineFit {
  slope: number;
  intercept: number;
  /** Points used. */
  n: number;
}

/** Least-squares line through (x, y); with one point the line goes through the origin. */
export function fitLine(xs: readonly number[], ys: readonly number[]): LineFit {
  if (xs.length !== ys.length) throw new RangeError('fitLine: xs and ys differ in length');
  const pts = xs.map((x, k) => [x, ys[k]!] as const).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const n = pts.length;
  if (n === 0) return { slope: Number.NaN, intercept: Number.NaN, n };
  if (n === 1) return { slope: pts[0]![0] !== 0 ? pts[0]![1] / pts[0]![0] : Number.NaN, intercept: 0, n };
  const mx = pts.reduce((s, [x]) => s + x, 0) / n;
  const my = pts.reduce((s, [, y]) => s + y, 0) / n;
  const sxx = pts.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  if (sxx === 0) return { slope: mx !== 0 ? my / mx : Number.NaN, intercept: 0, n };
  const slope = pts.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0) / sxx;
  return { slope, intercept: my - slope * mx, n };
}

export interface StageCost {
  stage: string;
  cpuMsPerCameraSecond: number;
}

export interface ProjectionInput {
  streams: number;
  /** Per-camera stage costs that add up to the end-to-end cost (camera-proportional work). */
  stages: readonly StageCost[];
  /** Control plane measured at `streams` cameras, in cores (already for the whole fleet). */
  controlPlaneCores?: number;
  /** Memory: a line through (cameras, MB) measured in the live run. */
  memoryFit?: LineFit;
}

export interface Projection {
  streams: number;
  cpuMsPerCameraSecond: number;
  streamsPerCore: number;
  /** Cores for the camera-proportional stages. */
  streamCores: number;
  controlPlaneCores: number;
  totalCores: number;
  perStageCores: Array<{ stage: string; cores: number }>;
  memoryMb?: number;
}

export function project(i: ProjectionInput): Projection {
  const cpu = i.stages.reduce((s, x) => s + x.cpuMsPerCameraSecond, 0);
  const streamCores = coresFor(i.streams, cpu);
  const controlPlaneCores = i.controlPlaneCores ?? 0;
  const memoryMb = i.memoryFit && Number.isFinite(i.memoryFit.slope) ? i.memoryFit.intercept + i.memoryFit.slope * i.streams : undefined;
  return {
    streams: i.streams,
    cpuMsPerCameraSecond: cpu,
    streamsPerCore: streamsPerCore(cpu),
    streamCores,
    controlPlaneCores,
    totalCores: streamCores + controlPlaneCores,
    perStageCores: i.stages.map((s) => ({ stage: s.stage, cores: coresFor(i.streams, s.cpuMsPerCameraSecond) })),
    memoryMb,
  };
}
