/**
 * Tour mode (轮巡) capacity: how many cameras one worker visits per revisit interval. N mounts of the RTSP load
 * generator are toured by one TourRunner with S visit slots, each revisited every few seconds; the window counts
 * the visits, their durations (connect, first keyframe, TEARDOWN, decode) and the CPU of this process and of the
 * shared decoder pool. Two bounds follow: the slots (tour.maxVisits / mean visit seconds, the wait for a keyframe
 * dominating) and the CPU (cores × 1000 / CPU-ms per visit); the capacity is the smaller, and the cameras visited
 * every revisitSec = capacity × revisitSec. Measured at a few seconds' revisit rather than saturated: the test
 * server re-prepares a shared mount after its last client left (DESCRIBE then waits for a keyframe), so a mount
 * revisited at once measures the server, not the tour.
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
import { cpuUsageMs, processCpuMs } from './cpu.js';
import type { Plan } from './plan.js';
import { RtspLoad } from './rtsp-load.js';
import type { StageProgress } from './stage-progress.js';

export interface TourCost {
  mounts: number;
  slots: number;
  /** Each mount's revisit interval in the measurement, s. */
  revisitSec: number;
  /** Visits that began later than their interval allows (the measured tour fell behind). */
  misses: number;
  windowSec: number;
  visits: number;
  failedVisits: number;
  /** Cameras with at least one visit in the window. */
  camerasVisited: number;
  /** Most connections open at once (the tour's own sessions). */
  maxConnections: number;
  visitSec: { mean: number; p50: number; p95: number };
  visitsPerSecond: number;
  cpuMsPerVisit: number;
  nodeCpuMsPerVisit: number;
  poolCpuMsPerVisit: number;
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
  /**
   * The same with every visit waiting half a GOP longer for its keyframe (the test server sends its held keyframe
   * at PLAY; a camera may start at its next IDR): the figure for cameras with a GOP of `gopSec`.
   */
  gopSec: number;
  camerasPerRevisitGopWait: number;
}

/** Pure: the capacity of one worker from the measured visit duration and CPU per visit. */
export function projectTour(m: { meanVisitSec: number; cpuMsPerVisit: number }, slots: number, cores: number, revisitSec: number, gopSec = 2): TourProjection {
  const slotBound = m.meanVisitSec > 0 ? slots / m.meanVisitSec : Infinity;
  const cpuBound = m.cpuMsPerVisit > 0 ? (cores * 1000) / m.cpuMsPerVisit : Infinity;
  const perSecond = Math.min(slotBound, cpuBound);
  const withWait = Math.min(slots / (m.meanVisitSec + gopSec / 2), cpuBound);
  return {
    slots,
    cores,
    revisitSec,
    slotBoundVisitsPerSecond: slotBound,
    cpuBoundVisitsPerSecond: cpuBound,
    camerasPerRevisit: perSecond * revisitSec,
    bound: slotBound <= cpuBound ? 'slots' : 'cpu',
    gopSec,
    camerasPerRevisitGopWait: withWait * revisitSec,
  };
}

type Model = { width: number; height: number; pixelFormat: 'rgb24' | 'bgr24' };

export async function measureTour(plan: Plan, clip: string, ffmpeg: FfmpegBinary, model: Model, revisitSec: number, progress: StageProgress): Promise<TourCost> {
  const { mounts: n, slots, warmupSec, windowSec } = plan.tour;
  const every = plan.tour.revisitSec;
  const names = Array.from({ length: n }, (_, k) => `tour${k + 1}`);
  // A thread per visit slot: the server's one default thread serializes the DESCRIBEs that prepare media.
  const server = await RtspLoad.start({ mounts: names, clip, ffmpeg: ffmpeg.path, clientThreads: slots });
  const pool = new KeyframeDecoderPool({ ffmpegPath: ffmpeg.path, width: model.width, height: model.height, pixelFormat: model.pixelFormat });
  const conn = { open: 0, max: 0 };
  const visits: TourVisitReport[] = [];
  let measuring = false;
  const runner = new TourRunner({
    pool,
    maxVisits: slots,
    visitTimeoutMs: TOUR_DEFAULTS.visitTimeoutSec * 1000,
    missTolerance: TOUR_DEFAULTS.missTolerance,
    onVisit: (v) => measuring && visits.push(v),
    createSession: (o: RtspSessionOptions, log): SessionLike => {
      const s = new RtspSession(o, log);
      conn.open++;
      conn.max = Math.max(conn.max, conn.open);
      s.on('state', (st) => st === 'closed' && conn.open--);
      return s;
    },
  });
  const total = warmupSec + windowSec;
  try {
    for (const [k, m] of names.entries()) runner.add({ id: `tour${k + 1}`, url: server.url(m), tour: { revisitSec: every, priority: 1, hours: [] } }, { frame: () => undefined, down: () => undefined });
    for (let s = 0; s < warmupSec; s++) {
      progress.update(s / total, `tour: ${n} mounts every ${every} s, ${slots} visit slots, warming up`);
      await sleep(1000);
    }
    const pids0 = pool.pids;
    const before = new Map(pids0.map((p) => [p, processCpuMs(p) ?? Number.NaN]));
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    measuring = true;
    for (let s = 0; s < windowSec; s++) {
      progress.update((warmupSec + s) / total, `tour: ${n} mounts every ${every} s, ${slots} visit slots, measuring (${visits.length} visits)`);
      await sleep(1000);
    }
    measuring = false;
    const node = cpuUsageMs(cpu0);
    const sec = (performance.now() - t0) / 1000;
    let poolCpu = 0;
    for (const p of new Set([...pids0, ...pool.pids])) {
      const a = processCpuMs(p);
      const b = before.get(p) ?? 0;
      if (a !== undefined && Number.isFinite(b)) poolCpu += a - b;
    }
    const ok = visits.filter((v) => v.ok);
    if (ok.length === 0) throw new Error(`no tour visit succeeded in ${sec.toFixed(0)} s (${visits.length} failed: ${visits[0]?.reason ?? 'none began'})`);
    const durations = ok.map((v) => v.durationMs / 1000).sort((a, b) => a - b);
    const q = (p: number) => durations[Math.min(durations.length - 1, Math.floor(p * durations.length))]!;
    const mean = durations.reduce((a, b) => a + b, 0) / durations.length;
    const cpuMsPerVisit = (node + poolCpu) / ok.length;
    return {
      mounts: n,
      slots,
      revisitSec: every,
      misses: visits.filter((v) => v.miss).length,
      windowSec: sec,
      visits: ok.length,
      failedVisits: visits.length - ok.length,
      camerasVisited: new Set(ok.map((v) => v.cameraId)).size,
      maxConnections: conn.max,
      visitSec: { mean, p50: q(0.5), p95: q(0.95) },
      visitsPerSecond: ok.length / sec,
      cpuMsPerVisit,
      nodeCpuMsPerVisit: node / ok.length,
      poolCpuMsPerVisit: poolCpu / ok.length,
      projection: projectTour({ meanVisitSec: mean, cpuMsPerVisit }, TOUR_DEFAULTS.maxVisits, os.cpus().length, revisitSec),
    };
  } finally {
    await runner.close();
    await pool.close();
    await server.stop();
  }
}
