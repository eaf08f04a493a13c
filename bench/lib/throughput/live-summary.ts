/**
 * One live step's figures from what the pipeline process reported (frames, publishes, its analysis loop) and
 * what /proc said about its CPU and memory: interval misses, latencies, CPU and RSS per stream, and whether K
 * cameras were sustained (and if not, what limited them).
 */
import { summarize } from '../shared/percentile.js';
import { cpuMsPerCameraSecond, loadAverage1 } from './cpu.js';
import { intervalMisses } from './live-metrics.js';
import type { FrameRecord, PublishRecord } from './live-worker.js';
import { INTERVAL_SEC } from './plan.js';
import type { LiveStep } from './result.js';
import type { ThroughputTargets } from './targets.js';

/** The camera ids of a live step with K cameras (also its RTSP mounts). */
export function cameraIds(k: number): string[] {
  return Array.from({ length: k }, (_, i) => `cam${String(i + 1).padStart(3, '0')}`);
}

export interface MemSample {
  /** kB: pipeline VmRSS, Σ ffmpeg VmRSS, Σ private (RssAnon) and Σ PSS over the pipeline and its ffmpeg children. */
  pipeline: number;
  ffmpeg: number;
  anon: number;
  pss: number;
}

export function summarizeLive(
  k: number,
  sec: number,
  windowStart: number,
  windowEnd: number,
  liveCameras: number,
  nodeMs: number,
  ffmpegMs: number,
  loadGenMs: number,
  frames: FrameRecord[],
  publishes: PublishRecord[],
  mem: MemSample[],
  loop: { framesAnalyzed: number; inferenceMs: number },
  targets: ThroughputTargets,
): LiveStep {
  const analyzed = new Map<string, number[]>();
  const replaced = new Map<string, number[]>();
  for (const f of frames) {
    const m = f.analyzed ? analyzed : replaced;
    if (!m.has(f.cameraId)) m.set(f.cameraId, []);
    m.get(f.cameraId)!.push(f.arrivedAt);
  }
  const misses = intervalMisses({ analyzed, replaced, cameras: cameraIds(k), windowStartMs: windowStart, windowEndMs: windowEnd, intervalSec: INTERVAL_SEC });
  const inWindow = (t: number) => t >= windowStart && t <= windowEnd;
  const latency = summarize(frames.filter((f) => f.analyzed && inWindow(f.arrivedAt)).map((f) => f.settledAt - f.arrivedAt));
  const pubs = publishes.filter((p) => p.frameAt !== undefined && inWindow(p.frameAt));
  const publishLatency = summarize(pubs.map((p) => p.publishedAt - p.frameAt!));
  const peak = mem.reduce((best, m) => (m.pipeline + m.ffmpeg > best.pipeline + best.ffmpeg ? m : best), { pipeline: 0, ffmpeg: 0, anon: 0, pss: Number.NaN });
  const MB = 1024;
  const cpu = nodeMs + ffmpegMs;
  const reasons: string[] = [];
  if (!(misses.ratio <= targets.maxIntervalMissRatio)) reasons.push(`interval misses ${(misses.ratio * 100).toFixed(1)}% > ${(targets.maxIntervalMissRatio * 100).toFixed(0)}%`);
  if (!(latency.p95 <= targets.maxEventLatencyP95Ms)) reasons.push(`latency p95 ${Number.isFinite(latency.p95) ? `${(latency.p95 / 1000).toFixed(2)} s` : 'not measured'} > ${targets.maxEventLatencyP95Ms / 1000} s`);
  // What limited a failed step: an overloaded analysis path shows as late or replaced frames; cameras that
  // deliver nothing while the analyzed ones are on time point at ingest (connections, the RTSP server).
  if (reasons.length) {
    // A few replacements also come from a stream hiccup (ffmpeg emits two frames close together after a stall).
    const overloaded = !(latency.p95 <= targets.maxEventLatencyP95Ms) || misses.replaced * 2 > misses.gapMisses;
    reasons.push(
      overloaded
        ? `limited by the analysis path: frames waited (p95 ${(latency.p95 / 1000).toFixed(2)} s, ${misses.replaced} replaced in the mailbox)`
        : `limited by ingest: ${misses.camerasMissing} camera(s) delivered too few frames while analysis kept up (p95 ${(latency.p95 / 1000).toFixed(2)} s, ${misses.replaced} replaced)`,
    );
  }
  return {
    k,
    windowSec: sec,
    liveCameras,
    sustained: reasons.length === 0,
    why: reasons.length ? reasons.join('; ') : undefined,
    cpuMsPerCameraSecond: cpuMsPerCameraSecond(cpu, k, sec),
    nodeCpuMsPerCameraSecond: cpuMsPerCameraSecond(nodeMs, k, sec),
    ffmpegCpuMsPerCameraSecond: cpuMsPerCameraSecond(ffmpegMs, k, sec),
    loadGeneratorCpuMsPerCameraSecond: cpuMsPerCameraSecond(loadGenMs, k, sec),
    misses,
    latency,
    publishLatency,
    eventsPublished: pubs.length,
    rssMb: {
      pipeline: peak.pipeline / MB,
      ffmpeg: peak.ffmpeg / MB,
      total: (peak.pipeline + peak.ffmpeg) / MB,
      perStream: (peak.pipeline + peak.ffmpeg) / MB / k,
      anonTotal: peak.anon / MB,
      anonPerStream: peak.anon / MB / k,
      pssTotal: peak.pss / MB,
      pssPerStream: peak.pss / MB / k,
    },
    inferenceMsPerFrame: loop.framesAnalyzed > 0 ? loop.inferenceMs / loop.framesAnalyzed : Number.NaN,
    loadAverage: loadAverage1(),
  };
}
