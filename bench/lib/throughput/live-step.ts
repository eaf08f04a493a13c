/**
 * One step of the live K ramp: K mounts on GStreamer RTSP test servers, the real pipeline in a forked process
 * (live-worker.ts) pulling them, and a measuring window read from /proc: the pipeline process and its ffmpeg
 * children, apart from the load generator (the servers and their ffmpeg feeders).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { HEAP_FLOOR_FLAG, hasHeapFloor } from '../../../src/pipeline/heap-floor.js';
import { listChildren, readMemory, snapshotTree, treeDelta, type TreeSnapshot } from './cpu.js';
import { cameraIds, summarizeLive, type MemSample } from './live-summary.js';
import type { LiveWorkerInput, ParentMessage, WorkerMessage } from './live-worker.js';
import { INTERVAL_SEC, PIPELINE_THREADS, type Plan } from './plan.js';
import type { LiveStep } from './result.js';
import { RtspLoad } from './rtsp-load.js';
import { CameraFarm } from '../../../support/camera-farm/farm-process.js';
import type { StageProgress } from './stage-progress.js';
import type { ThroughputTargets } from './targets.js';

const WORKER = fileURLToPath(new URL('./live-worker.ts', import.meta.url));
/** Mounts per GStreamer test server in the live run (see liveStep). */
const MOUNTS_PER_SERVER = 16;

/** The pipeline's ffmpeg children: one per camera (ffmpeg transport) or the shared decoder pool (native). */
function isPipelineFfmpeg(c: { comm: string; cmdline: string }): boolean {
  return c.comm === 'ffmpeg' && c.cmdline.includes('rawvideo');
}

/** CPU share of one core used by the busiest RTSP server process (near 1: that server is saturated). */
function serverShare(a: TreeSnapshot, b: TreeSnapshot, sec: number): number {
  let best = Number.NaN;
  for (const server of listChildren(process.pid).filter((c) => c.cmdline.includes('rtsp-server.py') || c.cmdline.includes('camera-farm'))) {
    const x = a.children.get(server.pid);
    const y = b.children.get(server.pid);
    if (x !== undefined && y !== undefined) best = Math.max(Number.isNaN(best) ? 0 : best, (y - x) / (sec * 1000));
  }
  return best;
}

function isLoadGenerator(c: { comm: string; cmdline: string }): boolean {
  return c.cmdline.includes('rtsp-server.py') || c.cmdline.includes('camera-farm') || (c.comm === 'ffmpeg' && c.cmdline.includes(' rtp://'));
}

export async function liveStep(
  k: number,
  plan: Plan,
  clip: string,
  ffmpegPath: string,
  manifest: string,
  targets: ThroughputTargets,
  progress: StageProgress,
  progressBase: number,
  progressSpan: number,
): Promise<LiveStep> {
  const cams = cameraIds(k);
  // native: the camera farm serves K live mounts from one process. ffmpeg: one GStreamer test server with 40
  // mounts answered connection storms badly (clients got "Invalid data found" and timed out while the server
  // idled), so cameras are spread over servers of at most MOUNTS_PER_SERVER mounts each. Same load per camera;
  // only the number of server processes changes.
  const servers: Array<{ stop(): Promise<void> }> = [];
  const urls: string[] = [];
  try {
    if (plan.live.transport === 'native') {
      progress.update(progressBase, `K=${k}: starting the camera farm (${k} live mounts)`);
      const farm = await CameraFarm.start({ mounts: k, source: clip, loopSec: 20 });
      servers.push(farm);
      urls.push(...cams.map((_, i) => farm.url(i + 1)));
    }
    for (let i = 0; plan.live.transport === 'ffmpeg' && i < k; i += MOUNTS_PER_SERVER) {
      const mounts = cams.slice(i, i + MOUNTS_PER_SERVER);
      const server = await RtspLoad.start({ mounts, clip, ffmpeg: ffmpegPath });
      servers.push(server);
      urls.push(...mounts.map((m) => server.url(m)));
    }
  } catch (err) {
    await Promise.all(servers.map((x) => x.stop()));
    throw err;
  }
  const input: LiveWorkerInput = { urls, manifest, threads: PIPELINE_THREADS, intervalSec: INTERVAL_SEC, transport: plan.live.transport };
  const worker: ChildProcess = fork(WORKER, [], {
    // The worker runs as a production camera worker does: with the heap floor (src/pipeline/heap-floor.ts).
    execArgv: hasHeapFloor() ? process.execArgv : [HEAP_FLOOR_FLAG, ...process.execArgv],
    env: { ...process.env, PATROL_BENCH_LIVE: JSON.stringify(input), UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  worker.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  let live = 0;
  let states: Record<string, number> = {};
  let reasons: string[] = [];
  let started = false;
  let failure: string | undefined;
  let records: Extract<WorkerMessage, { type: 'records' }> | undefined;
  worker.on('message', (m: WorkerMessage) => {
    if (m.type === 'started') started = true;
    else if (m.type === 'tick') {
      live = m.live;
      states = m.states;
      reasons = m.reasons;
    }
    else if (m.type === 'records') records = m;
    else if (m.type === 'error') failure = m.message;
  });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.once('exit', (code) => {
    if (!failure && code !== 0) failure = `pipeline process exited with ${code}: ${stderr.split('\n').slice(-5).join(' ')}`;
  });
  const total = 30 + plan.live.warmupSec + plan.live.windowSec;
  const t00 = Date.now();
  const tick = (detail: string) => progress.update(progressBase + (progressSpan * Math.min(1, (Date.now() - t00) / 1000 / total)), `K=${k}: ${detail}`);
  try {
    const startBy = Date.now() + 90_000;
    while (!started && !failure && Date.now() < startBy) {
      tick('starting the pipeline');
      await sleep(250);
    }
    if (!started) throw new Error(failure ?? 'the pipeline did not start within 90 s');
    const liveBy = Date.now() + 30_000;
    while (live < k && !failure && Date.now() < liveBy) {
      tick(`${live}/${k} cameras live`);
      await sleep(250);
    }
    for (let s = 0; s < plan.live.warmupSec * 4 && !failure; s++) {
      tick(`${live}/${k} cameras live, warming up`);
      await sleep(250);
    }
    if (failure) throw new Error(failure);
    const include = isPipelineFfmpeg;
    const liveAtStart = live;
    const snap0 = snapshotTree(worker.pid!, include);
    const gen0 = snapshotTree(process.pid, isLoadGenerator);
    const windowStart = Date.now();
    const t0 = performance.now();
    const endAt = windowStart + plan.live.windowSec * 1000;
    const memSamples: MemSample[] = [];
    let nextMem = Date.now() + 2000;
    while (Date.now() < endAt && !failure) {
      if (Date.now() >= nextMem) {
        nextMem += 5000;
        const pm = readMemory(worker.pid!);
        const kids = listChildren(worker.pid!).filter(include).map((c) => readMemory(c.pid)).filter((m) => m !== undefined);
        if (pm) {
          memSamples.push({
            pipeline: pm.rssKb,
            ffmpeg: kids.reduce((s, m) => s + m.rssKb, 0),
            anon: pm.anonKb + kids.reduce((s, m) => s + m.anonKb, 0),
            pss: pm.pssKb + kids.reduce((s, m) => s + m.pssKb, 0),
          });
        }
      }
      tick(`${live}/${k} cameras live, measuring`);
      await sleep(250);
    }
    const snap1 = snapshotTree(worker.pid!, include);
    const gen1 = snapshotTree(process.pid, isLoadGenerator);
    const windowEnd = Date.now();
    const sec = (performance.now() - t0) / 1000;
    if (failure || !snap0 || !snap1) throw new Error(failure ?? 'the pipeline process went away during the window');
    // Frames that arrived in the window may still be in analysis: give them a moment before asking.
    await sleep(Math.min(4000, targets.maxEventLatencyP95Ms + 500));
    worker.send({ type: 'records' } satisfies ParentMessage);
    const askedAt = Date.now();
    while (!records && !failure && Date.now() - askedAt < 10_000) await sleep(50);
    if (!records) throw new Error(failure ?? 'no records from the pipeline process');
    const d = treeDelta(snap0, snap1);
    const g = gen0 && gen1 ? treeDelta(gen0, gen1) : undefined;
    const step = summarizeLive(k, sec, windowStart, windowEnd, live, d.selfMs, d.childrenMs, g ? g.childrenMs : Number.NaN, records.frames, records.publishes, memSamples, records.loop, targets);
    step.liveAtStart = liveAtStart;
    step.statesAtEnd = states;
    const notLive = Object.entries(states).filter(([st]) => st !== 'live');
    if (!step.sustained && (liveAtStart < k || notLive.length)) {
      step.why += `; cameras live ${liveAtStart}/${k} at the window's start${notLive.length ? `, at its end ${notLive.map(([st, n]) => `${n} ${st}`).join(', ')}` : ''}`;
    }
    step.sourceProblems = reasons;
    step.rtspServerCoreShare = g && gen0 && gen1 ? serverShare(gen0, gen1, sec) : Number.NaN;
    return step;
  } finally {
    if (worker.exitCode === null) {
      worker.send({ type: 'stop' } satisfies ParentMessage);
      const force = setTimeout(() => worker.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(force);
    }
    await Promise.all(servers.map((x) => x.stop()));
  }
}
