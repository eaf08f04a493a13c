import { performance } from 'node:perf_hooks';
import type { Frame } from '../../../src/contracts/frame.js';

/** What latency is measured on: anything with the detector's batched `detect`. */
export interface Detects {
  detect(frames: readonly Frame[]): Promise<unknown[]>;
}

export interface LatencyOptions {
  /** Frames per detect() call. */
  batch: number;
  /** Untimed calls first (session warm-up, buffer allocation, JIT). */
  warmup?: number;
  /** Timed calls. */
  iterations?: number;
}

export interface LatencyResult {
  batch: number;
  calls: number;
  /** Mean wall time per frame over all timed calls: preprocessing + inference + decoding + NMS. */
  msPerFrame: number;
  /** Median and 95th percentile of one detect() call (a whole batch). */
  p50CallMs: number;
  p95CallMs: number;
}

/**
 * End-to-end latency of detect() as the pipeline sees it. Frames are cycled from `frames` to fill each
 * batch; calls run back to back, one in flight, like the analysis loop.
 */
export async function measureLatency(d: Detects, frames: readonly Frame[], o: LatencyOptions): Promise<LatencyResult> {
  if (frames.length === 0) throw new Error('measureLatency: no frames');
  const warmup = o.warmup ?? 3;
  const iterations = o.iterations ?? 20;
  let next = 0;
  const batch = () => Array.from({ length: o.batch }, () => frames[next++ % frames.length]!);
  for (let i = 0; i < warmup; i++) await d.detect(batch());
  const times: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const b = batch();
    const t0 = performance.now();
    await d.detect(b);
    times.push(performance.now() - t0);
  }
  const sorted = [...times].sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
  const total = times.reduce((s, t) => s + t, 0);
  return { batch: o.batch, calls: iterations, msPerFrame: total / (iterations * o.batch), p50CallMs: q(0.5), p95CallMs: q(0.95) };
}
