/**
 * The `throughput` section of bench/targets.json and the check of measured figures against it. The check is
 * pure; a target that could not be measured counts as missed (nothing is claimed without a number).
 */
import { z } from 'zod';

export const ThroughputTargetsSchema = z
  .object({
    $comment: z.string().optional(),
    /** Streams one core carries end to end at the patrol profile (= 1000 / CPU-ms per camera-second). */
    minStreamsPerCore: z.number().positive(),
    controlPlane: z.object({ cameras: z.number().int().positive(), maxCoreShare: z.number().positive() }).strict(),
    maxEventLatencyP95Ms: z.number().positive(),
    maxRssMbPerStream: z.number().positive(),
    /** A live step is sustained while its interval-miss ratio stays at or under this. */
    maxIntervalMissRatio: z.number().min(0).max(1),
    /** Tour mode: cameras one worker visits, each at least once per revisitSec. */
    tour: z.object({ cameras: z.number().int().positive(), revisitSec: z.number().positive() }).strict().optional(),
    /** Held open with the native client: end-to-end CPU (the held-open sum) and memory per stream (the native row). */
    heldOpen: z.object({ $comment: z.string().optional(), maxCpuMsPerCameraSecond: z.number().positive(), maxRssMbPerStream: z.number().positive() }).strict().optional(),
  })
  .strict();
export type ThroughputTargets = z.infer<typeof ThroughputTargetsSchema>;

/** What the checks need from a run; absent parts were not measured. */
export interface ThroughputMeasured {
  /** End-to-end CPU-ms per camera-second, summed over the measured stages. */
  stageSumCpuMsPerCameraSecond?: number;
  /** The live run at its largest sustained K (or its first K when none was sustained). */
  live?: {
    k: number;
    sustained: boolean;
    cpuMsPerCameraSecond: number;
    missRatio: number;
    latencyP95Ms: number;
    rssMbPerStream: number;
  };
  controlPlane?: { cameras: number; coreShare: number; publishP95Ms: number };
  /**
   * Tour mode, measured: N mounts each due every revisitSec, camerasOnTime of them with every gap between
   * analyzed frames at most limitSec; missRatio of the visits began late. projectedCameras: the capacity
   * projected from visit duration and CPU per visit (at the target's revisit interval).
   */
  tour?: { mounts: number; revisitSec: number; camerasOnTime: number; limitSec: number; missRatio: number; projectedCameras: number; note: string };
  /** The held-open (native) sum, and the native row's memory per camera; absent when the native row is. */
  heldOpen?: { cpuMsPerCameraSecond: number; rssMbPerStream?: number };
}

export interface TargetCheck {
  id: string;
  what: string;
  value: number;
  op: '>=' | '<=' | '<';
  target: number;
  unit: string;
  ok: boolean;
  note?: string;
}

function check(id: string, what: string, value: number | undefined, op: TargetCheck['op'], target: number, unit: string, note?: string): TargetCheck {
  const v = value ?? Number.NaN;
  const ok = Number.isFinite(v) && (op === '>=' ? v >= target : op === '<=' ? v <= target : v < target);
  return { id, what, value: v, op, target, unit, ok, note: Number.isFinite(v) ? note : (note ?? 'not measured') };
}

export function checkThroughputTargets(m: ThroughputMeasured, t: ThroughputTargets): TargetCheck[] {
  const perCore = (cpu: number | undefined) => (cpu !== undefined && cpu > 0 ? 1000 / cpu : undefined);
  const live = m.live;
  const at = live ? `live run, K=${live.k}${live.sustained ? '' : ', not sustained'}` : 'live run';
  const checks: TargetCheck[] = [
    check('streams-per-core-stages', 'streams per core, end to end (sum of measured stages)', perCore(m.stageSumCpuMsPerCameraSecond), '>=', t.minStreamsPerCore, 'streams/core',
      m.stageSumCpuMsPerCameraSecond !== undefined ? `${m.stageSumCpuMsPerCameraSecond.toFixed(2)} CPU-ms per camera-second; target ≤ ${(1000 / t.minStreamsPerCore).toFixed(1)}` : undefined),
    check('streams-per-core-live', `streams per core, end to end (${at})`, perCore(live?.cpuMsPerCameraSecond), '>=', t.minStreamsPerCore, 'streams/core',
      live ? `${live.cpuMsPerCameraSecond.toFixed(2)} CPU-ms per camera-second; target ≤ ${(1000 / t.minStreamsPerCore).toFixed(1)}` : undefined),
    check('interval-misses', `analysis-interval misses (${at})`, live?.missRatio, '<=', t.maxIntervalMissRatio, 'ratio'),
    check('event-latency-p95', `event latency p95, frame arrival → analyzed and published (${at})`, live?.latencyP95Ms, '<=', t.maxEventLatencyP95Ms, 'ms'),
    check('rss-per-stream', `RSS per stream, pipeline + its ffmpeg children (${at})`, live?.rssMbPerStream, '<=', t.maxRssMbPerStream, 'MB'),
    check('control-plane-share', `control plane CPU, ${t.controlPlane.cameras} cameras (scorer + dedupe + BullMQ, Node + redis-server)`,
      m.controlPlane && m.controlPlane.cameras >= t.controlPlane.cameras ? m.controlPlane.coreShare : undefined, '<', t.controlPlane.maxCoreShare, 'core',
      m.controlPlane && m.controlPlane.cameras < t.controlPlane.cameras ? `measured at ${m.controlPlane.cameras} cameras only` : undefined),
    check('control-plane-publish-p95', `publish latency p95 at ${t.controlPlane.cameras} cameras (frame due → BullMQ accepted)`,
      m.controlPlane && m.controlPlane.cameras >= t.controlPlane.cameras ? m.controlPlane.publishP95Ms : undefined, '<=', t.maxEventLatencyP95Ms, 'ms'),
  ];
  if (t.tour) checks.push(...tourChecks(m.tour, t.tour, t.maxIntervalMissRatio));
  if (t.heldOpen) {
    const h = m.heldOpen;
    checks.push(
      check('held-open-cpu', 'held open with the native client, end to end (native ingest + the sum\'s other stages)', h?.cpuMsPerCameraSecond, '<=', t.heldOpen.maxCpuMsPerCameraSecond, 'CPU-ms/camera-s',
        h ? `${(1000 / h.cpuMsPerCameraSecond).toFixed(0)} streams per core; target ≥ ${Math.floor(1000 / t.heldOpen.maxCpuMsPerCameraSecond)}` : undefined),
      check('held-open-rss', 'RSS per stream held open with the native client (Node RSS growth + decoder pool RSS, / N)', h?.rssMbPerStream, '<=', t.heldOpen.maxRssMbPerStream, 'MB'),
    );
  }
  return checks;
}

/**
 * The tour target on the measured run: cameras with every gap on time, and the interval misses. A run smaller
 * than the target (fewer mounts or a shorter interval, the quick mode) is scaled to the target's interval at
 * its visits per second and says so; the capacity projection is a line of its own, labelled projection.
 */
function tourChecks(m: ThroughputMeasured['tour'], t: { cameras: number; revisitSec: number }, maxMissRatio: number): TargetCheck[] {
  const every = `each at least every ${t.revisitSec} s`;
  const full = m !== undefined && m.mounts >= t.cameras && m.revisitSec === t.revisitSec;
  const run = m ? `${m.mounts} RTSP mounts every ${m.revisitSec} s, gap ≤ ${m.limitSec} s` : '';
  const cameras = full
    ? check('tour-cameras', `tour mode, measured: cameras one worker visited, ${every} (${run})`, m.camerasOnTime, '>=', t.cameras, 'cameras', m.note)
    : check('tour-cameras', `tour mode, projection from a smaller run (cameras on time × ${t.revisitSec} s / the run's interval): cameras one worker visits, ${every}${m ? ` (measured ${m.camerasOnTime} on time of ${run})` : ''}`,
        m && (m.camerasOnTime * t.revisitSec) / m.revisitSec, '>=', t.cameras, 'cameras', m?.note);
  return [
    cameras,
    check('tour-misses', `tour mode: interval misses${m ? ` (${m.mounts} mounts every ${m.revisitSec} s)` : ''}`, m?.missRatio, '<=', maxMissRatio, 'ratio'),
    check('tour-capacity-projection', `tour mode, projection: cameras one worker could visit ${every} at tour.maxVisits (visit duration and CPU per visit)`, m?.projectedCameras, '>=', t.cameras, 'cameras'),
  ];
}

/** One line per missed target, naming it (for stderr and the exit status). */
export function missedLines(checks: readonly TargetCheck[]): string[] {
  return checks.filter((c) => !c.ok).map((c) => `target missed: ${c.what}: ${formatValue(c)} (target ${c.op} ${c.target} ${c.unit})${c.note ? ` — ${c.note}` : ''}`);
}

export function formatValue(c: Pick<TargetCheck, 'value' | 'unit'>): string {
  if (!Number.isFinite(c.value)) return 'not measured';
  if (c.unit === 'ratio') return `${(c.value * 100).toFixed(2)}%`;
  if (c.unit === 'core') return `${(c.value * 100).toFixed(2)}% of one core`;
  if (c.unit === 'streams/core') return `${c.value.toFixed(c.value >= 10 ? 0 : 1)} streams/core`;
  if (c.unit === 'ms') return `${c.value.toFixed(c.value >= 10 ? 0 : 1)} ms`;
  return `${c.value >= 100 ? c.value.toFixed(0) : c.value.toFixed(2)} ${c.unit}`;
}
