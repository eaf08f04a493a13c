/**
 * Tour mode (轮巡), measured for real: one TourRunner with the default tour.maxVisits slots tours N live mounts
 * of the camera farm (support/camera-farm: one RTSP server process, each mount at its own phase of a 2 s GOP, so
 * every visit waits for the next keyframe as at a real camera), each camera due every revisitSec. After a
 * warm-up (the first round), the window counts the visits, the gaps between each camera's analyzed frames
 * (tour-gaps.ts), the interval misses, the visits' durations, the connections open at once, and the CPU of this
 * process and of the shared decoder pool; the farm's own CPU is reported apart (a camera's, not the worker's).
 * The capacity projected from the visit duration and CPU per visit is kept beside it, labelled projection.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import os from 'node:os';
import { TOUR_DEFAULTS } from '../../../src/config/schema.js';
import type { TourVisitReport } from '../../../src/contracts/camera-status.js';
import { KeyframeDecoderPool } from '../../../src/decode/decoder-pool.js';
import type { FfmpegBinary } from '../../../src/decode/ffmpeg-path.js';
import type { SessionLike } from '../../../src/ingest/rtsp-supervisor.js';
import { RtspSession, type RtspSessionOptions } from '../../../src/ingest/rtsp/session.js';
import { TourRunner } from '../../../src/ingest/tour-runner.js';
import type { FarmStats } from '../../../support/camera-farm/farm-server.js';
import { CameraFarm } from '../../../support/camera-farm/farm-process.js';
import { coreShare, cpuUsageMs, processCpuMs } from './cpu.js';
import type { Plan } from './plan.js';
import type { StageProgress } from './stage-progress.js';
import { tourGaps, type TourGaps } from './tour-gaps.js';

export interface TourCost {
  mounts: number;
  slots: number;
  /** Each camera's revisit interval in the run, s. */
  revisitSec: number;
  /** The target's interval, s: the run is smaller than the target's when either differs. */
  targetRevisitSec: number;
  warmupSec: number;
  windowSec: number;
  /** Visits that began later than their interval allows (tour.missTolerance past due), of those in the window. */
  misses: number;
  missRatio: number;
  visits: number;
  failedVisits: number;
  /** Why the first failed visit failed. */
  firstFailure?: string;
  /** Cameras with at least one analyzed frame in the window. */
  camerasVisited: number;
  /** Gaps between each camera's analyzed frames, limit = revisitSec × (1 + tour.missTolerance). */
  gaps: TourGaps;
  /** Cameras whose every gap was at most revisitSec itself. */
  camerasWithinRevisit: number;
  /** Most connections open at once (the tour's own sessions). */
  maxConnections: number;
  visitSec: { mean: number; p50: number; p95: number };
  visitsPerSecond: number;
  cpuMsPerVisit: number;
  nodeCpuMsPerVisit: number;
  poolCpuMsPerVisit: number;
  /** The camera farm (not counted in the worker's CPU). */
  server: { description: string; cpuMsPerVisit: number; coreShare: number; stats?: FarmStats };
  projection: TourProjection;
}

export interface TourProjection {
  /** Visit slots projected (tour.maxVisits default). */
  slots: number;
  cores: number;
  revisitSec: number;
  /** slots / mean visit seconds. */
  slotBoundVisitsPerSecond: number;
  /** cores × 1000 / CPU-ms per visit. */
  cpuBoundVisitsPerSecond: number;
  /** Cameras each visited every revisitSec by one worker: min(bounds) × revisitSec. */
  camerasPerRevisit: number;
  bound: 'slots' | 'cpu';
}

/** Pure: the capacity of one worker from the measured visit duration (its keyframe wait included) and CPU per visit. */
export function projectTour(m: { meanVisitSec: number; cpuMsPerVisit: number }, slots: number, cores: number, revisitSec: number): TourProjection {
  const slotBound = m.meanVisitSec > 0 ? slots / m.meanVisitSec : Infinity;
  const cpuBound = m.cpuMsPerVisit > 0 ? (cores * 1000) / m.cpuMsPerVisit : Infinity;
  const perSecond = Math.min(slotBound, cpuBound);
  return {
    slots,
    cores,
    revisitSec,
    slotBoundVisitsPerSecond: slotBound,
    cpuBoundVisitsPerSecond: cpuBound,
    camerasPerRevisit: perSecond * revisitSec,
    bound: slotBound <= cpuBound ? 'slots' : 'cpu',
  };
}

type Model = { width: number; height: number; pixelFormat: 'rgb24' | 'bgr24' };

export async function measureTour(plan: Plan, clip: string, ffmpeg: FfmpegBinary, model: Model, targetRevisitSec: number, progress: StageProgress): Promise<TourCost> {
  const { mounts: n, slots, warmupSec, windowSec, revisitSec: every, loopSec } = plan.tour;
  const what = `tour: ${n} mounts every ${every} s, ${slots} visit slots`;
  progress.update(0, `${what}, starting the camera farm (encoding the clip)`);
  const farm = await CameraFarm.start({ mounts: n, source: clip, loopSec });
  const pool = new KeyframeDecoderPool({ ffmpegPath: ffmpeg.path, width: model.width, height: model.height, pixelFormat: model.pixelFormat });
  const conn = { open: 0, max: 0 };
  const ids = Array.from({ length: n }, (_, k) => `cam${k + 1}`);
  const frames = new Map<string, number[]>(ids.map((id) => [id, []]));
  const visits: TourVisitReport[] = [];
  const runner = new TourRunner({
    pool,
    maxVisits: slots,
    visitTimeoutMs: TOUR_DEFAULTS.visitTimeoutSec * 1000,
    missTolerance: TOUR_DEFAULTS.missTolerance,
    onVisit: (v) => visits.push(v),
    createSession: (o: RtspSessionOptions, log): SessionLike => {
      const s = new RtspSession(o, log);
      conn.open++;
      conn.max = Math.max(conn.max, conn.open);
      s.on('state', (st) => st === 'closed' && conn.open--);
      return s;
    },
  });
  const total = warmupSec + windowSec;
  const status = (): string => `${visits.filter((v) => v.ok).length} visits, ${[...frames.values()].filter((f) => f.length > 0).length}/${n} cameras seen, ${conn.open} open`;
  try {
    const tourStartMs = Date.now();
    for (const [k, id] of ids.entries()) runner.add({ id, url: farm.url(k + 1), tour: { revisitSec: every, priority: 1, hours: [] } }, { frame: (f) => frames.get(id)!.push(f.receivedAt), down: () => undefined });
    for (let s = 0; s < warmupSec; s++) {
      progress.update(s / total, `${what}, warming up: ${status()}`);
      await sleep(1000);
    }
    const pids0 = pool.pids;
    const before = new Map(pids0.map((p) => [p, processCpuMs(p) ?? Number.NaN]));
    const server0 = processCpuMs(farm.pid);
    const cpu0 = process.cpuUsage();
    const windowStartMs = Date.now();
    const t0 = performance.now();
    const firstInWindow = visits.length;
    for (let s = 0; s < windowSec; s++) {
      progress.update((warmupSec + s) / total, `${what}, measuring: ${status()}`);
      await sleep(1000);
    }
    const windowEndMs = Date.now();
    const node = cpuUsageMs(cpu0);
    const sec = (performance.now() - t0) / 1000;
    const server1 = processCpuMs(farm.pid);
    let poolCpu = 0;
    for (const p of new Set([...pids0, ...pool.pids])) {
      const a = processCpuMs(p);
      const b = before.get(p) ?? 0;
      if (a !== undefined && Number.isFinite(b)) poolCpu += a - b;
    }
    const stats = await farm.stats().catch(() => undefined);
    const inWindow = visits.slice(firstInWindow).filter((v) => v.startedAt <= windowEndMs);
    const ok = inWindow.filter((v) => v.ok);
    if (ok.length === 0) throw new Error(`no tour visit succeeded in ${sec.toFixed(0)} s (${inWindow.length} failed: ${inWindow[0]?.reason ?? 'none began'})`);
    const durations = ok.map((v) => v.durationMs / 1000).sort((a, b) => a - b);
    const q = (p: number) => durations[Math.min(durations.length - 1, Math.floor(p * durations.length))]!;
    const mean = durations.reduce((a, b) => a + b, 0) / durations.length;
    const cpuMsPerVisit = (node + poolCpu) / ok.length;
    const w = { tourStartMs, windowStartMs, windowEndMs };
    const gaps = tourGaps(frames, ids, w, every * (1 + TOUR_DEFAULTS.missTolerance));
    const serverCpu = server0 !== undefined && server1 !== undefined ? server1 - server0 : Number.NaN;
    const misses = inWindow.filter((v) => v.miss).length;
    return {
      mounts: n,
      slots,
      revisitSec: every,
      targetRevisitSec,
      warmupSec,
      windowSec: sec,
      misses,
      missRatio: misses / inWindow.length,
      visits: ok.length,
      failedVisits: inWindow.length - ok.length,
      firstFailure: inWindow.find((v) => !v.ok)?.reason,
      camerasVisited: gaps.visited,
      gaps,
      camerasWithinRevisit: tourGaps(frames, ids, w, every).onTime,
      maxConnections: conn.max,
      visitSec: { mean, p50: q(0.5), p95: q(0.95) },
      visitsPerSecond: ok.length / sec,
      cpuMsPerVisit,
      nodeCpuMsPerVisit: node / ok.length,
      poolCpuMsPerVisit: poolCpu / ok.length,
      server: { description: farm.description, cpuMsPerVisit: serverCpu / ok.length, coreShare: coreShare(serverCpu, sec * 1000), stats },
      projection: projectTour({ meanVisitSec: mean, cpuMsPerVisit }, TOUR_DEFAULTS.maxVisits, os.cpus().length, targetRevisitSec),
    };
  } finally {
    await runner.close();
    await pool.close();
    await farm.stop();
  }
}
