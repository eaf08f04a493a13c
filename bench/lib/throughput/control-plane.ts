/**
 * The control plane at 1000 cameras, measured whole: each camera's CameraAnalyzer (scorer, dedupe, the
 * open-events file) publishing to BullMQ on a real redis-server, fed the recorded detections in real time at
 * one frame per interval. Node CPU plus redis-server CPU over wall time is its share of a core.
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Frame } from '../../../src/contracts/frame.js';
import { createDispatchQueue } from '../../../src/dispatch/create-queue.js';
import type { DispatchQueue } from '../../../src/dispatch/queue.js';
import { CameraAnalyzer, type EvidencePort } from '../../../src/pipeline/camera-analyzer.js';
import { OpenEventsFiles } from '../../../src/pipeline/open-events-file.js';
import { resolveRules } from '../../../src/score/rules.js';
import type { TestRedis } from '../../../support/redis.js';
import { summarize } from '../shared/percentile.js';
import { coreShare, cpuUsageMs, processCpuMs } from './cpu.js';
import type { FixtureRecording } from './inputs.js';
import { INTERVAL_SEC, type Plan } from './plan.js';
import { cameraFor, detectionsFor } from './replay.js';
import type { ThroughputResult } from './result.js';
import type { StageProgress } from './stage-progress.js';

const noEvidence: EvidencePort = { observe: () => undefined, attach: async (c) => c, restore: () => undefined };

export async function measureControlPlane(
  plan: Plan,
  recs: FixtureRecording[],
  redis: TestRedis,
  rPid: number | undefined,
  tmp: string,
  progress: StageProgress,
): Promise<NonNullable<ThroughputResult['controlPlane']>> {
  const { cameras: n, prerollSteps, windowSec } = plan.controlPlane;
  const intervalMs = INTERVAL_SEC * 1000;
  const storageDir = path.join(tmp, 'control-plane');
  const queue = createDispatchQueue({ redisUrl: redis.url, name: 'bench-control-plane', storageDir });
  const rules = resolveRules(undefined);
  const openStore = new OpenEventsFiles(storageDir);
  const publishLat: number[] = [];
  const publishTimes: number[] = [];
  let measuring = false;
  let publishes = 0;
  // Frame time = wall time − offset: the window continues the pre-roll's timeline however long the
  // pre-roll took (1000 cameras × 48 steps ≈ 50 s on 2 cores, longer than the window it used to eat).
  let offset = 0;
  const frameNow = () => Date.now() - offset;
  const frameAt = new Float64Array(n);
  const cams = Array.from({ length: n }, (_, c) => cameraFor(c, INTERVAL_SEC));
  const analyzers = cams.map((cam, c) => {
    const q: DispatchQueue = {
      kind: queue.kind,
      async publish(msg) {
        await queue.publish(msg);
        if (measuring) {
          publishes++;
          const now = frameNow();
          publishLat.push(now - frameAt[c]!);
          publishTimes.push(now);
        }
      },
      consume: (h) => queue.consume(h),
      depth: () => queue.depth(),
      close: async () => undefined,
    };
    return new CameraAnalyzer(cam, rules, q, noEvidence, openStore);
  });
  const frame = (c: number, t: number): Frame => ({
    cameraId: cams[c]!.id, timestamp: t, ptsMs: 0, data: Buffer.alloc(0), pixelFormat: 'rgb24', width: 416, height: 416, contentWidth: 416, contentHeight: 340, sourceWidth: 704, sourceHeight: 576,
  });
  // Pre-roll (not measured): the same replay as fast as possible with timestamps ending now, so events are
  // already open (stall dwell is 120 s) when the real-time window starts.
  const phase = (c: number) => (c * intervalMs) / n;
  const start = Date.now() + 1000;
  // Cameras join at staggered steps over the first half of the pre-roll, so their events open — and their 30 s
  // updates fall — at different times, as in a steady state (a simultaneous start of all cameras is worse).
  const joinStep = (c: number) => Math.floor(((c * 7919) % n) / n * (prerollSteps / 2));
  for (let s = 0; s < prerollSteps; s++) {
    const base = start - (prerollSteps - s) * intervalMs;
    await Promise.all(analyzers.map((a, c) => (s < joinStep(c) ? undefined : a.handle(frame(c, base + phase(c)), detectionsFor(c, s, recs, cams[c]!.id, base + phase(c))))));
    progress.update((0.3 * s) / prerollSteps, 'pre-roll (not measured)');
  }
  offset = Math.max(0, Date.now() + 200 - start);
  while (frameNow() < start) await sleep(5);
  // Real time: camera c is due at start + phase(c) + j × interval; one handle at a time per camera.
  const handleLat: number[] = [];
  const chains: Promise<void>[] = analyzers.map(() => Promise.resolve());
  let frames = 0;
  const endAt = start + windowSec * 1000;
  const redis0 = rPid ? processCpuMs(rPid) : undefined;
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  measuring = true;
  // Due times are ordered by (j, c) since phase(c) grows with c: one cursor walks them.
  let due = 0;
  let lastUpdate = 0;
  while (frameNow() < endAt) {
    const now = frameNow();
    for (;;) {
      const c = due % n;
      const j = Math.floor(due / n);
      const t = start + phase(c) + j * intervalMs;
      if (t > now || t >= endAt) break;
      due++;
      chains[c] = chains[c]!.then(async () => {
        frameAt[c] = t;
        await analyzers[c]!.handle(frame(c, t), detectionsFor(c, prerollSteps + j, recs, cams[c]!.id, t));
        handleLat.push(frameNow() - t);
        frames++;
      });
    }
    if (now - lastUpdate >= 1000) {
      lastUpdate = now;
      progress.update(0.3 + (0.7 * (now - start)) / (windowSec * 1000), `${due} frames due, ${publishes} published`);
    }
    // Frames are handed out in 50 ms batches: cheap for the harness (its CPU counts against the control
    // plane), at most 50 ms added to the measured latencies.
    await sleep(50);
  }
  await Promise.all(chains);
  const wall = performance.now() - wall0;
  measuring = false;
  const node = cpuUsageMs(cpu0);
  const redisCpu = rPid && redis0 !== undefined ? (processCpuMs(rPid) ?? redis0) - redis0 : Number.NaN;
  const openEvents = analyzers.reduce((s, a) => s + a.openEvents().length, 0);
  // A window no frame fell into measured nothing: say so rather than divide CPU by an empty wall time.
  if (frames === 0) throw new Error(`control plane: no frame was due in the ${windowSec} s window (pre-roll ran ${Math.round(offset / 1000)} s late)`);
  await queue.close();
  return {
    cameras: n,
    fixtures: [...new Set(recs.map((r) => r.name))],
    prerollSec: prerollSteps * INTERVAL_SEC,
    windowSec,
    frames,
    publishes,
    openEvents,
    nodeCoreShare: coreShare(node, wall),
    redisCoreShare: coreShare(redisCpu, wall),
    coreShare: coreShare(node + (Number.isFinite(redisCpu) ? redisCpu : 0), wall),
    publishesPerSecondMax: maxPerSecond(publishTimes),
    publishLatency: summarize(publishLat),
    handleLatency: summarize(handleLat),
  };
}

/** Largest number of timestamps (ms) within any one-second stretch. */
function maxPerSecond(times: number[]): number {
  const t = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; j < t.length; j++) {
    while (t[j]! - t[i]! >= 1000) i++;
    best = Math.max(best, j - i + 1);
  }
  return best;
}
