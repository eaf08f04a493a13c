/**
 * bench:throughput — what one camera costs at each stage of the pipeline, how many streams one core carries,
 * and what 1000 cameras would need, measured on the machine it runs on (issue 7).
 *
 *   npm run bench:throughput                   full mode (≈ 10 min): all stages, K ramp 16, 32, 64, 96, … until a step fails
 *   npm run bench:throughput -- --quick        CI mode (< 3 min): fewer batch sizes, shorter windows, K = 4, 8
 *
 * Options: --model M.json (default models/patrol-det.json when present, else the YOLOX-nano stand-in),
 * --max-streams N (largest K of the live ramp), --clip FILE.ts (704×576 25 fps GOP 50 ~512 kbps H.264 in
 * MPEG-TS; default fixtures/generated/stall_setup.ts), --out DIR (bench/results; files throughput.* in full mode,
 * throughput-quick.* in quick mode), --targets FILE
 * (bench/targets.json), --no-fail (report, but exit 0 when a target is missed).
 * Exit status: 0 every target met, 1 a target missed (each named on stderr), 2 the bench could not run.
 *
 * Stage costs are CPU time of the pipeline's own processes — /proc/<pid>/stat utime+stime for ffmpeg
 * children, process.cpuUsage() for in-process stages — never of the load generator (the RTSP server and its
 * ffmpeg feeders), whose CPU is reported beside it for context. See bench/README.md.
 */
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { CameraSchema, type CameraConfig } from '../src/config/schema.js';
import { resolveFfmpeg, type FfmpegBinary } from '../src/decode/ffmpeg-path.js';
import type { Detections } from '../src/contracts/detections.js';
import { Detector } from '../src/detect/detector.js';
import { createDispatchQueue } from '../src/dispatch/create-queue.js';
import { jobIdFor, type DispatchQueue } from '../src/dispatch/queue.js';
import { type DispatchMessage } from '../src/contracts/dispatch-message.js';
import { PatrolError } from '../src/errors.js';
import { createCameraSource, type CameraSource } from '../src/ingest/camera-source.js';
import type { Frame } from '../src/contracts/frame.js';
import { CameraAnalyzer, type EvidencePort } from '../src/pipeline/camera-analyzer.js';
import { OpenEventsFiles } from '../src/pipeline/open-events-file.js';
import type { EventChange } from '../src/contracts/event.js';
import { resolveRules } from '../src/score/rules.js';
import { createCameraScoreState, step, type CameraScoreState } from '../src/score/scorer.js';
import { TestRedis } from '../support/redis.js';
import {
  clockTicksPerSecond,
  coreShare,
  cpuMsPerCameraSecond,
  cpuUsageMs,
  listChildren,
  loadAverage1,
  processCpuMs,
  readMemory,
  snapshotTree,
  treeDelta,
  type TreeSnapshot,
} from './lib/throughput/cpu.js';
import { decodeFixtureFrames } from './lib/throughput/fixture-frames.js';
import { intervalMisses } from './lib/throughput/live-metrics.js';
import type { FrameRecord, LiveWorkerInput, ParentMessage, PublishRecord, WorkerMessage } from './lib/throughput/live-worker.js';
import { dynamicBatchModel } from './lib/throughput/model-variant.js';
import { summarize, type Summary } from './lib/shared/percentile.js';
import { barChartSvg, lineChartSvg } from './lib/shared/plot-svg.js';
import { fitLine, project } from './lib/throughput/projection.js';
import { RtspLoad } from './lib/throughput/rtsp-load.js';
import { StageProgress } from './lib/throughput/stage-progress.js';
import { measureSceneCost } from './lib/throughput/scene-cost.js';
import { measureBurningCheckCost } from './lib/throughput/burning-check-cost.js';
import { throughputMarkdown } from './lib/throughput/report.js';
import type { InferenceRow, LiveStep, StageRow, ThroughputResult } from './lib/throughput/result.js';
import { checkThroughputTargets, missedLines, type ThroughputTargets, ThroughputTargetsSchema } from './lib/throughput/targets.js';
import { loadTargetsSection } from './lib/shared/targets-file.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const WORKER = fileURLToPath(new URL('./lib/throughput/live-worker.ts', import.meta.url));
const INTERVAL_SEC = 5;
/** What the live run's config gives the detector (the config default). */
const PIPELINE_THREADS = 1;
/** Mounts per GStreamer test server in the live run (see liveStep). */
const MOUNTS_PER_SERVER = 16;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Plan {
  mode: 'quick' | 'full';
  fixtures: number;
  /** Frames decoded per fixture (from its start); undefined = the whole file. */
  framesPerFixture: number | undefined;
  inference: { threads: number[]; batches: number[]; frames: number };
  scoring: { cameras: number; steps: number };
  dispatch: { messages: number };
  controlPlane: { cameras: number; prerollSteps: number; windowSec: number };
  ingest: { streams: number; warmupSec: number; windowSec: number; decodeWindowSec: number };
  live: { ks: number[]; warmupSec: number; windowSec: number; budgetSec: number };
}

export function planFor(quick: boolean, maxStreams: number | undefined): Plan {
  const p: Plan = quick
    ? {
        mode: 'quick',
        fixtures: 99,
        framesPerFixture: 10,
        inference: { threads: [1, 2], batches: [1, 8], frames: 16 },
        scoring: { cameras: 1000, steps: 60 },
        dispatch: { messages: 200 },
        controlPlane: { cameras: 1000, prerollSteps: 48, windowSec: 15 },
        ingest: { streams: 4, warmupSec: 3, windowSec: 10, decodeWindowSec: 12 },
        live: { ks: [4, 8], warmupSec: 6, windowSec: 18, budgetSec: 100 },
      }
    : {
        mode: 'full',
        fixtures: 99,
        framesPerFixture: undefined,
        inference: { threads: [1, 2], batches: [1, 4, 8, 16], frames: 48 },
        scoring: { cameras: 1000, steps: 120 },
        dispatch: { messages: 1000 },
        controlPlane: { cameras: 1000, prerollSteps: 60, windowSec: 60 },
        ingest: { streams: 8, warmupSec: 4, windowSec: 20, decodeWindowSec: 30 },
        live: { ks: [16, 32, 64, 96, 128, 192, 256], warmupSec: 6, windowSec: 30, budgetSec: 360 },
      };
  if (maxStreams !== undefined) p.live.ks = p.live.ks.filter((k) => k <= maxStreams);
  if (maxStreams !== undefined && !p.live.ks.includes(maxStreams) && (p.live.ks.length === 0 || maxStreams > p.live.ks.at(-1)!)) p.live.ks.push(maxStreams);
  return p;
}

interface Args {
  quick: boolean;
  model: string;
  maxStreams?: number;
  clip?: string;
  out: string;
  targets: string;
  fail: boolean;
}

function parse(argv: string[]): Args {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      full: { type: 'boolean', default: false },
      model: { type: 'string' },
      'max-streams': { type: 'string' },
      clip: { type: 'string' },
      out: { type: 'string', default: path.join(REPO, 'bench/results') },
      targets: { type: 'string', default: path.join(REPO, 'bench/targets.json') },
      'no-fail': { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.quick && values.full) throw new PatrolError('--quick and --full exclude each other.', 'Pass one of them (no flag = --full).');
  const trained = path.join(REPO, 'models/patrol-det.json');
  const model = values.model ?? (existsSync(trained) ? trained : path.join(REPO, 'models/yolox_nano-coco.json'));
  let maxStreams: number | undefined;
  if (values['max-streams'] !== undefined) {
    maxStreams = Number(values['max-streams']);
    if (!Number.isInteger(maxStreams) || maxStreams < 1) throw new PatrolError(`--max-streams must be a positive integer, got "${values['max-streams']}".`, 'For example --max-streams 32.');
  }
  return { quick: values.quick!, model, maxStreams, clip: values.clip, out: values.out!, targets: values.targets!, fail: !values['no-fail'] };
}

// ---------------------------------------------------------------------------------------------- inputs

interface FixtureRecording {
  name: string;
  detections: Detections[];
}

interface ClipInfo {
  file: string;
  width: number;
  height: number;
  fps: number;
  gopFrames: number;
  kbps: number;
  durationSec: number;
}

function probeClip(file: string): ClipInfo {
  const probe = spawnText('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height,r_frame_rate:format=duration,bit_rate', '-of', 'json', file]);
  const j = JSON.parse(probe) as { streams: Array<{ width: number; height: number; r_frame_rate: string }>; format: { duration: string; bit_rate: string } };
  const s = j.streams[0]!;
  const [num, den] = s.r_frame_rate.split('/').map(Number);
  // GOP: distance between the first two keyframes (packet flags), over the first 8 s.
  const keys = spawnText('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-read_intervals', '%+8', '-show_entries', 'packet=flags', '-of', 'csv=p=0', file])
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .map((l, k) => (l.includes('K') ? k : -1))
    .filter((k) => k >= 0);
  return {
    file,
    width: s.width,
    height: s.height,
    fps: num! / (den || 1),
    gopFrames: keys.length >= 2 ? keys[1]! - keys[0]! : Number.NaN,
    kbps: Number(j.format.bit_rate) / 1000,
    durationSec: Number(j.format.duration),
  };
}

function spawnText(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** The clip the RTSP server streams, copied to a private folder so a fixture regeneration cannot disturb a run. */
async function prepareClip(arg: string | undefined, ffmpeg: FfmpegBinary, tmp: string): Promise<string> {
  const candidate = arg ?? path.join(REPO, 'fixtures/generated/stall_setup.ts');
  const dst = path.join(tmp, 'patrol-profile.ts');
  if (existsSync(candidate)) {
    copyFileSync(candidate, dst);
    return dst;
  }
  if (arg) throw new PatrolError(`--clip ${arg} does not exist.`, 'Pass an MPEG-TS file, or leave --clip out.');
  // No fixtures generated: encode a patrol-profile clip (moving test pattern) with the same settings.
  const args = ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=704x576:rate=25', '-t', '60', '-c:v', 'libx264', '-preset', 'ultrafast', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p', '-g', '50', '-keyint_min', '50', '-sc_threshold', '0', '-bf', '0', '-b:v', '512k', '-maxrate', '512k', '-bufsize', '1M', '-f', 'mpegts', dst];
  await new Promise<void>((resolve, reject) => {
    const p = spawn(ffmpeg.path, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited ${code} generating the clip`))));
  });
  return dst;
}

/**
 * Fixture videos whose detections the control plane replays: the patrol-profile scene first. Each replayed
 * camera watches the whole picture for every violation type (the default camera config), so every
 * violation-class detection the model makes counts — more events than zoned cameras, i.e. a conservative load.
 */
function fixtureList(limit: number, clip: string): Array<{ name: string; file: string }> {
  const dir = path.join(REPO, 'fixtures/generated');
  const names = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => /^[A-Za-z0-9_-]+\.ts$/.test(f))
        .map((f) => f.replace(/\.ts$/, ''))
        .sort((a, b) => (a === 'stall_setup' ? -1 : b === 'stall_setup' ? 1 : a.localeCompare(b)))
    : [];
  const out = names.slice(0, limit).map((name) => ({ name, file: path.join(dir, `${name}.ts`) }));
  return out.length ? out : [{ name: path.basename(clip), file: clip }];
}

// ---------------------------------------------------------------------------------------------- stages

async function measureInference(
  plan: Plan,
  manifest: string,
  batchManifest: { manifest: string; dynamic: boolean },
  frames: Frame[],
  progress: StageProgress,
): Promise<InferenceRow[]> {
  const rows: InferenceRow[] = [];
  const configs = plan.inference.threads.flatMap((threads) => plan.inference.batches.map((batch) => ({ threads, batch })));
  let k = 0;
  for (const { threads, batch } of configs) {
    progress.update(k / configs.length, `${threads} thread${threads > 1 ? 's' : ''}, batch ${batch}`);
    const file = batch > 1 && batchManifest.dynamic ? batchManifest.manifest : manifest;
    const d = await Detector.load(file, { threads, maxBatch: batch, verifySha256: false });
    try {
      let next = 0;
      const take = () => Array.from({ length: batch }, () => frames[next++ % frames.length]!);
      await d.detect(take()); // warm-up: session first run, buffers
      const calls = Math.max(2, Math.ceil(plan.inference.frames / batch));
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      for (let c = 0; c < calls; c++) await d.detect(take());
      const wall = performance.now() - t0;
      const cpu = cpuUsageMs(cpu0);
      const n = calls * batch;
      rows.push({ threads, batch, frames: n, cpuMsPerFrame: cpu / n, wallMsPerFrame: wall / n, cpuMsPerCameraSecond: cpu / n / INTERVAL_SEC });
    } finally {
      await d.release();
    }
    k++;
  }
  progress.update(1);
  return rows;
}

function cameraFor(c: number, intervalSec: number): CameraConfig {
  return CameraSchema.parse({ id: `c${String(c).padStart(4, '0')}`, url: 'rtsp://bench/x', intervalSec });
}

/** The recorded detections of camera c's fixture for its s-th analyzed frame (cameras start at different frames). */
function detectionsFor(c: number, s: number, recs: FixtureRecording[], cameraId: string, t: number): Detections {
  const rec = recs[c % recs.length]!;
  const d = rec.detections[(s + c * 7) % rec.detections.length]!;
  return { cameraId, timestamp: t, model: d.model, items: d.items };
}

function measureScoring(plan: Plan, recs: FixtureRecording[], progress: StageProgress): { cpuMsPerStep: number; steps: number; changes: EventChange[] } {
  const rules = resolveRules(undefined);
  const cams = Array.from({ length: plan.scoring.cameras }, (_, c) => cameraFor(c, INTERVAL_SEC));
  const states: CameraScoreState[] = cams.map(() => createCameraScoreState());
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  const changes: EventChange[] = [];
  const cpu0 = process.cpuUsage();
  for (let s = 0; s < plan.scoring.steps; s++) {
    for (let c = 0; c < cams.length; c++) {
      const t = t0 + s * INTERVAL_SEC * 1000 + c;
      const r = step(states[c]!, { detections: detectionsFor(c, s, recs, cams[c]!.id, t), analyzedAt: t }, { camera: cams[c]!, rules });
      states[c] = r.state;
      if (changes.length < 5000) changes.push(...r.changes);
    }
    if (s % 5 === 0) progress.update(s / plan.scoring.steps);
  }
  const cpu = cpuUsageMs(cpu0);
  const steps = plan.scoring.steps * cams.length;
  return { cpuMsPerStep: cpu / steps, steps, changes };
}

function messagesFrom(changes: EventChange[], n: number, tag: string): DispatchMessage[] {
  if (changes.length === 0) throw new Error('no events were raised by the recorded detections; cannot build dispatch messages');
  return Array.from({ length: n }, (_, k) => {
    const ch = changes[k % changes.length]!;
    // Unique job ids: every publish is a real insert, none is deduped away.
    return { jobId: `${jobIdFor(ch.kind, ch.event.id, ch.event.lastSeenAt)}.${tag}${k}`, kind: ch.kind, event: ch.event, publishedAt: Date.now() };
  });
}

async function redisPid(url: string): Promise<number | undefined> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await r.connect();
    const m = /process_id:(\d+)/.exec(await r.info('server'));
    return m ? Number(m[1]) : undefined;
  } finally {
    r.disconnect();
  }
}

async function measureDispatch(
  plan: Plan,
  changes: EventChange[],
  redis: TestRedis,
  rPid: number | undefined,
  tmp: string,
  progress: StageProgress,
): Promise<NonNullable<ThroughputResult['stages']['dispatch']>> {
  const n = plan.dispatch.messages;
  const run = async (queue: DispatchQueue, tag: string, base: number) => {
    const msgs = messagesFrom(changes, n, tag);
    await queue.publish(messagesFrom(changes, 1, `${tag}warm`)[0]!);
    const walls: number[] = [];
    const redis0 = rPid ? processCpuMs(rPid) : undefined;
    const cpu0 = process.cpuUsage();
    for (let k = 0; k < n; k++) {
      const t = performance.now();
      await queue.publish(msgs[k]!);
      walls.push(performance.now() - t);
      if (k % 50 === 0) progress.update(base + (0.5 * k) / n);
    }
    const node = cpuUsageMs(cpu0);
    const redisCpu = rPid && redis0 !== undefined ? (processCpuMs(rPid) ?? redis0) - redis0 : Number.NaN;
    return { node, redisCpu, walls };
  };
  const embedded = createDispatchQueue({ name: 'bench-embedded', storageDir: path.join(tmp, 'dispatch-embedded') });
  const e = await run(embedded, 'e', 0);
  await embedded.close();
  const bull = createDispatchQueue({ redisUrl: redis.url, name: 'bench-bullmq', storageDir: path.join(tmp, 'dispatch-bullmq') });
  const b = await run(bull, 'b', 0.5);
  await bull.close();
  return {
    embedded: { messages: n, cpuMsPerPublish: e.node / n, wall: summarize(e.walls) },
    bullmq: { messages: n, nodeCpuMsPerPublish: b.node / n, redisCpuMsPerPublish: b.redisCpu / n, cpuMsPerPublish: (b.node + (Number.isFinite(b.redisCpu) ? b.redisCpu : 0)) / n, wall: summarize(b.walls) },
    publishesPerCameraSecond: Number.NaN,
    publishRateSource: '',
  };
}

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
  const frameAt = new Float64Array(n);
  const cams = Array.from({ length: n }, (_, c) => cameraFor(c, INTERVAL_SEC));
  const analyzers = cams.map((cam, c) => {
    const q: DispatchQueue = {
      kind: queue.kind,
      async publish(msg) {
        await queue.publish(msg);
        if (measuring) {
          publishes++;
          const now = Date.now();
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
  while (Date.now() < start) await sleep(5);
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
  while (Date.now() < endAt) {
    const now = Date.now();
    for (;;) {
      const c = due % n;
      const j = Math.floor(due / n);
      const t = start + phase(c) + j * intervalMs;
      if (t > now || t >= endAt) break;
      due++;
      chains[c] = chains[c]!.then(async () => {
        frameAt[c] = t;
        await analyzers[c]!.handle(frame(c, t), detectionsFor(c, prerollSteps + j, recs, cams[c]!.id, t));
        handleLat.push(Date.now() - t);
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

/** RTSP ingest (ffmpeg -c copy -f null) and the real camera source (keyframe decode + scale), on N mounts. */
async function measureIngestAndDecode(
  plan: Plan,
  clip: string,
  ffmpeg: FfmpegBinary,
  model: { width: number; height: number; pixelFormat: 'rgb24' | 'bgr24' },
  progress: StageProgress,
): Promise<{ ingest: NonNullable<ThroughputResult['stages']['ingest']>; decode: NonNullable<ThroughputResult['stages']['decode']> }> {
  const { streams: n, warmupSec, windowSec, decodeWindowSec } = plan.ingest;
  const mounts = Array.from({ length: n }, (_, k) => `cam${k + 1}`);
  const server = await RtspLoad.start({ mounts, clip, ffmpeg: ffmpeg.path });
  const total = warmupSec * 2 + windowSec + decodeWindowSec + 4;
  let elapsed = 0;
  const wait = async (sec: number, detail: string) => {
    for (let s = 0; s < sec; s++) {
      progress.update(elapsed / total, detail);
      await sleep(1000);
      elapsed++;
    }
  };
  try {
    // 1. RTSP ingest only: what one ffmpeg per camera costs before any decoding.
    const pulls = mounts.map((m) =>
      spawn(ffmpeg.path, ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error', '-rtsp_transport', 'tcp', `-${ffmpeg.features.rtspSocketTimeout}`, '10000000', '-i', server.url(m), '-map', '0:v:0', '-c', 'copy', '-f', 'null', '-'], { stdio: ['ignore', 'ignore', 'pipe'] }),
    );
    let ingest: NonNullable<ThroughputResult['stages']['ingest']>;
    try {
      await wait(warmupSec, `RTSP ingest: ${n} × ffmpeg -c copy -f null, warming up`);
      const pids = pulls.map((p) => p.pid!).filter((p) => p !== undefined);
      const before = pids.map((p) => processCpuMs(p) ?? Number.NaN);
      const t0 = performance.now();
      await wait(windowSec, `RTSP ingest: ${n} × ffmpeg -c copy -f null, measuring`);
      const mem = pids.map(readMemory).filter((m) => m !== undefined);
      const after = pids.map((p) => processCpuMs(p) ?? Number.NaN);
      const sec = (performance.now() - t0) / 1000;
      const alive = pids.filter((_, k) => Number.isFinite(after[k]!) && Number.isFinite(before[k]!));
      if (alive.length < n) progress.note(`warning: ${n - alive.length} of ${n} ingest ffmpeg processes exited during the window`);
      const cpu = pids.reduce((s, _, k) => s + (Number.isFinite(after[k]!) && Number.isFinite(before[k]!) ? after[k]! - before[k]! : 0), 0);
      ingest = {
        streams: alive.length,
        windowSec: sec,
        cpuMsPerCameraSecond: cpuMsPerCameraSecond(cpu, alive.length, sec),
        rssMbPerProcess: mem.reduce((s, m) => s + m.rssKb, 0) / 1024 / Math.max(1, mem.length),
        anonMbPerProcess: mem.reduce((s, m) => s + m.anonKb, 0) / 1024 / Math.max(1, mem.length),
        pssMbPerProcess: mem.reduce((s, m) => s + m.pssKb, 0) / 1024 / Math.max(1, mem.length),
      };
    } finally {
      for (const p of pulls) p.kill('SIGKILL');
    }

    // 2. The production camera source: RTSP + keyframe-only decode + select + scale/letterbox + pipe to Node.
    const sources: CameraSource[] = mounts.map((m, k) =>
      createCameraSource(
        { id: `cam${k + 1}`, url: server.url(m), loop: false, intervalSec: INTERVAL_SEC, decode: 'keyframe' },
        { width: model.width, height: model.height, pixelFormat: model.pixelFormat, ffmpeg },
      ),
    );
    let frames = 0;
    let measuring = false;
    for (const s of sources) s.onFrame(() => void (measuring && frames++));
    for (const s of sources) s.start();
    try {
      const liveBy = Date.now() + 20_000;
      while (sources.some((s) => s.status.state !== 'live') && Date.now() < liveBy) await sleep(250);
      await wait(warmupSec + 2, `camera source: ${n} × keyframe decode + scale to ${model.width}×${model.height}, warming up`);
      const pids = sources.map((s) => s.pid).filter((p): p is number => p !== undefined);
      const before = pids.map((p) => processCpuMs(p) ?? Number.NaN);
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      measuring = true;
      await wait(decodeWindowSec, `camera source: ${n} × keyframe decode + scale, measuring`);
      measuring = false;
      const node = cpuUsageMs(cpu0);
      const mem = pids.map(readMemory).filter((m) => m !== undefined);
      const after = pids.map((p) => processCpuMs(p) ?? Number.NaN);
      const sec = (performance.now() - t0) / 1000;
      const ok = pids.filter((_, k) => Number.isFinite(after[k]!) && Number.isFinite(before[k]!)).length;
      if (ok < n) progress.note(`warning: only ${ok} of ${n} camera sources ran through the window`);
      const cpu = pids.reduce((s, _, k) => s + (Number.isFinite(after[k]!) && Number.isFinite(before[k]!) ? after[k]! - before[k]! : 0), 0);
      const ffmpegPerCamSec = cpuMsPerCameraSecond(cpu, ok, sec);
      return {
        ingest,
        decode: {
          streams: ok,
          windowSec: sec,
          ffmpegCpuMsPerCameraSecond: ffmpegPerCamSec,
          nodeCpuMsPerCameraSecond: cpuMsPerCameraSecond(node, ok, sec),
          decodeScaleCpuMsPerCameraSecond: ffmpegPerCamSec - ingest.cpuMsPerCameraSecond,
          framesPerCameraMinute: (frames / Math.max(1, ok) / sec) * 60,
          rssMbPerProcess: mem.reduce((s, m) => s + m.rssKb, 0) / 1024 / Math.max(1, mem.length),
          anonMbPerProcess: mem.reduce((s, m) => s + m.anonKb, 0) / 1024 / Math.max(1, mem.length),
          pssMbPerProcess: mem.reduce((s, m) => s + m.pssKb, 0) / 1024 / Math.max(1, mem.length),
        },
      };
    } finally {
      await Promise.all(sources.map((s) => s.stop()));
    }
  } finally {
    await server.stop();
  }
}

// ---------------------------------------------------------------------------------------------- live run

export function cameraIds(k: number): string[] {
  return Array.from({ length: k }, (_, i) => `cam${String(i + 1).padStart(3, '0')}`);
}

function isPipelineFfmpeg(c: { comm: string; cmdline: string }): boolean {
  return c.comm === 'ffmpeg' && c.cmdline.includes('rawvideo');
}

/** CPU share of one core used by the busiest RTSP server process (near 1: that server is saturated). */
function serverShare(a: TreeSnapshot, b: TreeSnapshot, sec: number): number {
  let best = Number.NaN;
  for (const server of listChildren(process.pid).filter((c) => c.cmdline.includes('rtsp-server.py'))) {
    const x = a.children.get(server.pid);
    const y = b.children.get(server.pid);
    if (x !== undefined && y !== undefined) best = Math.max(Number.isNaN(best) ? 0 : best, (y - x) / (sec * 1000));
  }
  return best;
}

function isLoadGenerator(c: { comm: string; cmdline: string }): boolean {
  return c.cmdline.includes('rtsp-server.py') || (c.comm === 'ffmpeg' && c.cmdline.includes(' rtp://'));
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
  // One GStreamer test server with 40 mounts answered connection storms badly (clients got "Invalid data found"
  // and timed out while the server idled), so cameras are spread over servers of at most MOUNTS_PER_SERVER
  // mounts each. Same load per camera; only the number of server processes changes.
  const servers: RtspLoad[] = [];
  const urls: string[] = [];
  try {
    for (let i = 0; i < k; i += MOUNTS_PER_SERVER) {
      const mounts = cams.slice(i, i + MOUNTS_PER_SERVER);
      const server = await RtspLoad.start({ mounts, clip, ffmpeg: ffmpegPath });
      servers.push(server);
      urls.push(...mounts.map((m) => server.url(m)));
    }
  } catch (err) {
    await Promise.all(servers.map((x) => x.stop()));
    throw err;
  }
  const input: LiveWorkerInput = { urls, manifest, threads: PIPELINE_THREADS, intervalSec: INTERVAL_SEC };
  const worker: ChildProcess = fork(WORKER, [], {
    execArgv: process.execArgv,
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

interface MemSample {
  /** kB: pipeline VmRSS, Σ ffmpeg VmRSS, Σ private (RssAnon) and Σ PSS over the pipeline and its ffmpeg children. */
  pipeline: number;
  ffmpeg: number;
  anon: number;
  pss: number;
}

function summarizeLive(
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

// ---------------------------------------------------------------------------------------------- main

async function main(): Promise<number> {
  const args = parse(process.argv.slice(2));
  const targets = loadTargetsSection(args.targets, 'throughput', ThroughputTargetsSchema);
  const plan = planFor(args.quick, args.maxStreams);
  const startedAt = new Date();
  const t0 = Date.now();
  const loadStart = loadAverage1();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'patrol-bench-throughput-'));
  const omitted: string[] = [];
  const progress = new StageProgress(9);
  const cleanup = () => rmSync(tmp, { recursive: true, force: true });
  process.once('exit', cleanup);
  try {
    // 1. Inputs: the clip, fixture frames as the detector gets them, the detector's own output on them.
    progress.stage('prepare: clip, fixture frames, recorded detections');
    const ffmpeg = resolveFfmpeg();
    const clip = await prepareClip(args.clip, ffmpeg, tmp);
    const clipInfo = probeClip(clip);
    const detector = await Detector.load(args.model, { threads: 2 });
    const info = detector.info;
    const pixelFormat = detector.manifest.input.channelOrder === 'BGR' ? 'bgr24' : 'rgb24';
    const fixtures = fixtureList(plan.fixtures, clip);
    const recs: FixtureRecording[] = [];
    const allFrames: Frame[] = [];
    for (const [k, f] of fixtures.entries()) {
      progress.update(k / (fixtures.length + 1), `decoding and detecting ${f.name}`);
      let frames: Frame[];
      try {
        frames = await decodeFixtureFrames(f.file, { width: info.inputWidth, height: info.inputHeight, pixelFormat, intervalSec: INTERVAL_SEC, ffmpeg, limit: plan.framesPerFixture });
      } catch (err) {
        progress.note(`skipping fixture ${f.name}: ${(err as Error).message}`);
        continue;
      }
      if (frames.length === 0) continue;
      const dets = await detector.detect(frames);
      recs.push({ name: f.name, detections: dets });
      allFrames.push(...frames.slice(0, 24));
    }
    await detector.release();
    if (recs.length === 0) throw new PatrolError('No frames could be decoded from the fixtures or the clip.', 'Run `npm run fixtures -- --quick`, or pass --clip FILE.ts.');
    progress.update(0.9, 'dynamic-batch copy of the model for the batch sweep');
    const batchModel = await dynamicBatchModel(args.model, allFrames);
    progress.note(`model ${info.name} ${info.version}, input ${info.inputWidth}×${info.inputHeight}, pipeline batch ${info.batch}; ${batchModel.note}`);

    // 2. Inference.
    progress.stage('inference: batch × threads sweep');
    const inferenceRows = await measureInference(plan, args.model, batchModel, allFrames, progress);

    // 3. Scoring + dedupe (the pure reducer).
    progress.stage(`scoring + dedupe: step() over recorded detections, ${plan.scoring.cameras} cameras`);
    const scoring = measureScoring(plan, recs, progress);

    // 4. Dispatch, 5. control plane: against a real redis-server.
    progress.stage('dispatch: embedded SQLite queue and BullMQ on redis-server');
    const redis = await TestRedis.start();
    let dispatch: ThroughputResult['stages']['dispatch'];
    let controlPlane: ThroughputResult['controlPlane'];
    try {
      const rPid = await redisPid(redis.url);
      if (rPid === undefined) omitted.push('redis-server CPU (its pid could not be read from INFO)');
      if (scoring.changes.length > 0) dispatch = await measureDispatch(plan, scoring.changes, redis, rPid, tmp, progress);
      else omitted.push('dispatch per-publish cost: the recorded detections raised no event to publish');
      progress.stage(`control plane: ${plan.controlPlane.cameras} cameras replayed at one frame per ${INTERVAL_SEC} s through scorer, dedupe, BullMQ`);
      controlPlane = await measureControlPlane(plan, recs, redis, rPid, tmp, progress);
    } finally {
      await redis.stop();
    }
    if (dispatch) {
      if (controlPlane && controlPlane.publishes > 0) {
        dispatch.publishesPerCameraSecond = controlPlane.publishes / (controlPlane.cameras * controlPlane.windowSec);
        dispatch.publishRateSource = `control-plane replay: ${controlPlane.publishes} publishes from ${controlPlane.cameras} cameras in ${controlPlane.windowSec} s`;
      } else {
        dispatch.publishesPerCameraSecond = scoring.changes.length / (scoring.steps * INTERVAL_SEC);
        dispatch.publishRateSource = `scoring replay: ${scoring.changes.length} changes in ${scoring.steps} camera-frames`;
      }
    }

    // 6-7. Ingest and decode on the real RTSP server.
    progress.stage(`RTSP ingest and keyframe decode + scale: ${plan.ingest.streams} streams`);
    let ingestDecode: Awaited<ReturnType<typeof measureIngestAndDecode>> | undefined;
    try {
      ingestDecode = await measureIngestAndDecode(plan, clip, ffmpeg, { width: info.inputWidth, height: info.inputHeight, pixelFormat }, progress);
    } catch (err) {
      progress.note(`ingest/decode stage failed: ${(err as Error).message}`);
      omitted.push(`RTSP ingest and decode stages: ${(err as Error).message.split('\n')[0]}`);
    }

    // 8. Live ramp.
    progress.stage(`live run: K ramp ${plan.live.ks.join(', ')} (stops at > ${targets.maxIntervalMissRatio * 100}% misses or p95 > ${targets.maxEventLatencyP95Ms / 1000} s)`);
    const steps: LiveStep[] = [];
    let stoppedBecause = `reached the end of the ramp (K=${plan.live.ks.at(-1)})`;
    const rampStart = Date.now();
    for (const [i, k] of plan.live.ks.entries()) {
      const elapsed = (Date.now() - rampStart) / 1000;
      const perStep = i > 0 ? elapsed / i : 0;
      if (i > 0 && elapsed + perStep > plan.live.budgetSec) {
        stoppedBecause = `time budget of the ${plan.mode} mode (${plan.live.budgetSec} s for the ramp) reached before K=${k}`;
        break;
      }
      let s: LiveStep;
      try {
        s = await liveStep(k, plan, clip, ffmpeg.path, args.model, targets, progress, i / plan.live.ks.length, 1 / plan.live.ks.length);
      } catch (err) {
        progress.note(`live run at K=${k} failed: ${(err as Error).message}`);
        stoppedBecause = `K=${k} could not run: ${(err as Error).message.split('\n')[0]}`;
        if (i === 0) omitted.push(`live run: ${(err as Error).message.split('\n')[0]}`);
        break;
      }
      steps.push(s);
      progress.note(
        `K=${k}: ${s.sustained ? 'sustained' : `NOT sustained (${s.why})`}; ${s.cpuMsPerCameraSecond.toFixed(2)} CPU-ms/camera-s ` +
          `(node ${s.nodeCpuMsPerCameraSecond.toFixed(2)}, ffmpeg ${s.ffmpegCpuMsPerCameraSecond.toFixed(2)}), misses ${(s.misses.ratio * 100).toFixed(2)}%, ` +
          `latency p95 ${(s.latency.p95 / 1000).toFixed(2)} s, RSS ${s.rssMb.perStream.toFixed(1)} MB/stream, load ${s.loadAverage.toFixed(1)}`,
      );
      if (!s.sustained) {
        stoppedBecause = `K=${k} not sustained: ${s.why}`;
        break;
      }
    }
    // One bisection step between the last sustained K and the first failed one, when the budget allows.
    const failed = steps.at(-1);
    const passed = steps.filter((s) => s.sustained).at(-1);
    const rampSec = (Date.now() - rampStart) / 1000;
    if (failed && !failed.sustained && passed && rampSec + rampSec / steps.length <= plan.live.budgetSec) {
      const mid = Math.round((passed.k + failed.k) / 2 / 4) * 4;
      if (mid > passed.k && mid < failed.k) {
        try {
          const s = await liveStep(mid, plan, clip, ffmpeg.path, args.model, targets, progress, 0.95, 0.05);
          steps.push(s);
          progress.note(`K=${mid} (bisection): ${s.sustained ? 'sustained' : `NOT sustained (${s.why})`}; misses ${(s.misses.ratio * 100).toFixed(2)}%, latency p95 ${(s.latency.p95 / 1000).toFixed(2)} s`);
          stoppedBecause += `; bisection K=${mid}: ${s.sustained ? 'sustained' : 'not sustained'}`;
        } catch (err) {
          progress.note(`live run at K=${mid} failed: ${(err as Error).message}`);
        }
      }
    }
    steps.sort((a, b) => a.k - b.k);
    const sustained = steps.filter((s) => s.sustained);
    const maxSustainedK = sustained.length ? Math.max(...sustained.map((s) => s.k)) : 0;

    // Stage table and end-to-end sum.
    progress.stage('projection, targets, report');
    // The pipeline's configuration: detector.threads defaults to 1, the batch is the model's.
    const inf1 = inferenceRows.find((r) => r.threads === PIPELINE_THREADS && r.batch === info.batch) ?? inferenceRows.find((r) => r.threads === 1 && r.batch === 1);
    const table: StageRow[] = [];
    if (ingestDecode) {
      table.push({ stage: 'RTSP ingest (ffmpeg, RTSP/RTP over TCP, no decode)', cpuMsPerCameraSecond: ingestDecode.ingest.cpuMsPerCameraSecond, inSum: true, how: `${ingestDecode.ingest.streams} × ffmpeg -c copy -f null, /proc utime+stime` });
      table.push({ stage: 'keyframe decode + scale to detector input (ffmpeg)', cpuMsPerCameraSecond: ingestDecode.decode.decodeScaleCpuMsPerCameraSecond, inSum: true, how: 'camera-source ffmpeg minus ingest-only ffmpeg' });
      table.push({ stage: 'frame hand-off to Node (pipe, split, pair)', cpuMsPerCameraSecond: ingestDecode.decode.nodeCpuMsPerCameraSecond, inSum: true, how: 'process.cpuUsage() while only the camera sources ran' });
    } else omitted.push('RTSP ingest, decode and hand-off stage costs');
    if (inf1) table.push({ stage: `inference (${inf1.threads} thread, batch ${inf1.batch}, one frame per ${INTERVAL_SEC} s)`, cpuMsPerCameraSecond: inf1.cpuMsPerCameraSecond, inSum: true, how: `process.cpuUsage() over ${inf1.frames} frames: ${inf1.cpuMsPerFrame.toFixed(1)} CPU-ms/frame` });
    table.push({ stage: 'scoring + dedupe (step)', cpuMsPerCameraSecond: scoring.cpuMsPerStep / INTERVAL_SEC, inSum: true, how: `process.cpuUsage() over ${scoring.steps} steps: ${(scoring.cpuMsPerStep * 1000).toFixed(1)} CPU-µs/step` });
    const scene = measureSceneCost();
    table.push({ stage: 'scene model (sceneStep on the 416² frame)', cpuMsPerCameraSecond: scene.cpuMsPerFrame / INTERVAL_SEC, inSum: true, how: `process.cpuUsage() over ${scene.frames} frames: ${scene.cpuMsPerFrame.toFixed(3)} CPU-ms/frame (target ≤ 1)` });
    const burnCheck = await measureBurningCheckCost();
    table.push({ stage: 'burning check, frame without a fire/smoke candidate', cpuMsPerCameraSecond: burnCheck.cpuMsPerFrame / INTERVAL_SEC, inSum: true, how: `process.cpuUsage() over ${burnCheck.frames} frames: ${(burnCheck.cpuMsPerFrame * 1000).toFixed(2)} CPU-µs/frame (target: ≤ 5 % of the camera's total; bursts only on candidates)` });
    if (dispatch) {
      table.push({ stage: 'dispatch, BullMQ (Node + redis-server)', cpuMsPerCameraSecond: dispatch.bullmq.cpuMsPerPublish * dispatch.publishesPerCameraSecond, inSum: true, how: `${dispatch.bullmq.cpuMsPerPublish.toFixed(2)} CPU-ms/publish × ${dispatch.publishesPerCameraSecond.toExponential(2)} publishes/camera-s` });
      table.push({ stage: 'dispatch, embedded SQLite queue (alternative)', cpuMsPerCameraSecond: dispatch.embedded.cpuMsPerPublish * dispatch.publishesPerCameraSecond, inSum: false, how: `${dispatch.embedded.cpuMsPerPublish.toFixed(2)} CPU-ms/publish × the same rate` });
    }
    if (controlPlane) {
      // The warm-loop micro-benchmarks above understate what these stages cost spread over time among other
      // work (cold caches, timers, the open-events file): the sum takes the control plane measured whole.
      for (const row of table) if (row.stage.startsWith('scoring') || row.stage.startsWith('dispatch')) row.inSum = false;
      table.push({
        stage: `control plane: scoring + dedupe + dispatch at ${controlPlane.cameras} cameras (measured together)`,
        cpuMsPerCameraSecond: (controlPlane.coreShare * 1000) / controlPlane.cameras,
        inSum: true,
        how: `(Node + redis-server CPU) / wall / cameras in the real-time replay: ${(controlPlane.coreShare * 100).toFixed(2)}% of one core for ${controlPlane.cameras} cameras`,
      });
    }
    const haveAll = !!ingestDecode && !!inf1;
    const stageSum = haveAll ? table.filter((r) => r.inSum).reduce((s, r) => s + r.cpuMsPerCameraSecond, 0) : undefined;
    if (!haveAll) omitted.push('end-to-end stage sum (a stage is missing)');

    // Projection to 1000 streams.
    const lastLive = steps.find((s) => s.k === maxSustainedK) ?? steps[0];
    const memoryFit = steps.length ? fitLine(steps.map((s) => s.k), steps.map((s) => s.rssMb.total)) : undefined;
    const privateMemoryFit = steps.length ? fitLine(steps.map((s) => s.k), steps.map((s) => s.rssMb.pssTotal)) : undefined;
    const cpCores = controlPlane ? controlPlane.coreShare * (1000 / controlPlane.cameras) : undefined;
    const projection = stageSum !== undefined
      ? {
          streams: 1000,
          fromStages: project({ streams: 1000, stages: table.filter((r) => r.inSum && !r.stage.startsWith('scoring') && !r.stage.startsWith('dispatch') && !r.stage.startsWith('control plane')).map((r) => ({ stage: r.stage, cpuMsPerCameraSecond: r.cpuMsPerCameraSecond })), controlPlaneCores: cpCores, memoryFit }),
          privateMemoryMb: privateMemoryFit && Number.isFinite(privateMemoryFit.slope) ? privateMemoryFit.intercept + privateMemoryFit.slope * 1000 : undefined,
          fromLive: lastLive ? project({ streams: 1000, stages: [{ stage: `live run at K=${lastLive.k}`, cpuMsPerCameraSecond: lastLive.cpuMsPerCameraSecond }], memoryFit }) : undefined,
          note: 'PROJECTION, not a measurement: per-camera costs measured here × 1000, plus the control plane measured at 1000 cameras; memory from lines through the live run\'s (K, summed RSS) and (K, summed PSS) points — a sum of RSS counts shared library pages once per process, PSS shares them out, so summed PSS is the physical memory used. Assumes costs stay linear in K (no contention effects) and the same CPU model.',
        }
      : undefined;

    const checks = checkThroughputTargets(
      {
        stageSumCpuMsPerCameraSecond: stageSum,
        live: lastLive
          ? { k: lastLive.k, sustained: lastLive.sustained, cpuMsPerCameraSecond: lastLive.cpuMsPerCameraSecond, missRatio: lastLive.misses.ratio, latencyP95Ms: lastLive.latency.p95, rssMbPerStream: lastLive.rssMb.perStream }
          : undefined,
        controlPlane: controlPlane ? { cameras: controlPlane.cameras, coreShare: controlPlane.coreShare, publishP95Ms: controlPlane.publishLatency.p95 } : undefined,
      },
      targets,
    );
    const result: ThroughputResult = {
      schema: 'patrol-bench-throughput/1',
      mode: plan.mode,
      startedAt: startedAt.toISOString(),
      durationSec: (Date.now() - t0) / 1000,
      environment: {
        cpu: `${os.cpus()[0]?.model ?? 'unknown'}`,
        cores: os.cpus().length,
        node: process.version,
        ffmpeg: ffmpeg.version,
        loadAverageStart: loadStart,
        loadAverageEnd: loadAverage1(),
        note: `CLK_TCK ${clockTicksPerSecond()}; the machine is shared (other jobs' load is in the load averages), which lowers the live ramp's K but not the CPU-time figures much`,
      },
      clip: { ...clipInfo, file: args.clip ?? 'fixtures/generated/stall_setup.ts' },
      intervalSec: INTERVAL_SEC,
      model: { manifest: path.relative(REPO, args.model), name: `${info.name} ${info.version}`, input: `${info.inputWidth}×${info.inputHeight}`, pipelineBatch: info.batch, pipelineThreads: PIPELINE_THREADS, batchNote: batchModel.note },
      stages: {
        ingest: ingestDecode?.ingest,
        decode: ingestDecode?.decode,
        inference: { rows: inferenceRows, note: batchModel.note },
        scoring: { cameras: plan.scoring.cameras, steps: scoring.steps, cpuMsPerStep: scoring.cpuMsPerStep, cpuMsPerCameraSecond: scoring.cpuMsPerStep / INTERVAL_SEC, changes: scoring.changes.length },
        dispatch,
      },
      stageTable: table,
      stageSumCpuMsPerCameraSecond: stageSum,
      controlPlane,
      live: { steps, maxSustainedK, stoppedBecause, memoryFit, privateMemoryFit },
      projection,
      targets: checks,
      passed: checks.every((c) => c.ok),
      omitted,
    };
    result.durationSec = (Date.now() - t0) / 1000;
    writeOutputs(args.out, result);
    progress.done();
    printSummary(result, args.out);
    const missed = missedLines(checks);
    for (const line of missed) process.stderr.write(`${line}\n`);
    if (missed.length && !args.fail) process.stderr.write('--no-fail: exiting 0 although targets were missed\n');
    return missed.length && args.fail ? 1 : 0;
  } finally {
    cleanup();
  }
}

/** Output file base: the full run writes throughput.*, the quick run throughput-quick.* (so CI or a local quick run never overwrites the committed full results). */
export function outputBase(mode: ThroughputResult['mode']): string {
  return mode === 'quick' ? 'throughput-quick' : 'throughput';
}

function writeOutputs(dir: string, r: ThroughputResult): void {
  mkdirSync(dir, { recursive: true });
  const base = outputBase(r.mode);
  writeFileSync(path.join(dir, `${base}.json`), `${JSON.stringify(r, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`);
  const budget = 1000 / 100;
  const bars = r.stageTable.map((s) => ({ label: s.stage.replace(/ \(.*\)$/, '').replace(/^control plane: (.*) at \d+ cameras$/, 'control plane (measured whole)'), value: s.cpuMsPerCameraSecond, highlight: !s.inSum, note: s.inSum ? '' : '(not in sum)' }));
  if (r.stageSumCpuMsPerCameraSecond !== undefined) bars.push({ label: 'end to end (sum of stages)', value: r.stageSumCpuMsPerCameraSecond, highlight: true, note: '' });
  const liveTop = r.live?.steps.find((s) => s.k === r.live?.maxSustainedK) ?? r.live?.steps[0];
  if (liveTop) bars.push({ label: `live run, K=${liveTop.k} (measured whole)`, value: liveTop.cpuMsPerCameraSecond, highlight: true, note: '' });
  const target = r.targets.find((t) => t.id === 'streams-per-core-stages');
  writeFileSync(
    path.join(dir, `${base}-cpu-stages.svg`),
    barChartSvg({ title: `CPU per camera-second by stage (${r.mode} mode, ${r.environment.cores} cores)`, unit: 'CPU-ms per camera-second', bars, threshold: { value: target ? 1000 / target.target : budget, label: `budget ${target ? (1000 / target.target).toFixed(0) : budget} ms (≥ ${target?.target ?? 100} streams/core)` } }),
  );
  const steps = r.live?.steps ?? [];
  writeFileSync(
    path.join(dir, `${base}-misses.svg`),
    lineChartSvg({
      title: 'Live run: streams vs analysis-interval misses',
      xLabel: 'streams (K cameras on the RTSP server)',
      yLabel: 'interval misses (%)',
      series: [{ name: 'interval misses %', points: steps.map((s) => [s.k, s.misses.ratio * 100] as const) }],
      threshold: { value: (r.targets.find((t) => t.id === 'interval-misses')?.target ?? 0.01) * 100, label: 'limit' },
    }),
  );
  writeFileSync(
    path.join(dir, `${base}-latency.svg`),
    lineChartSvg({
      title: 'Live run: streams vs event latency',
      xLabel: 'streams (K)',
      yLabel: 'latency, s',
      series: [
        { name: 'p95 frame arrival → analyzed + published', points: steps.map((s) => [s.k, s.latency.p95 / 1000] as const) },
        { name: 'p50', points: steps.map((s) => [s.k, s.latency.p50 / 1000] as const) },
      ],
      threshold: { value: (r.targets.find((t) => t.id === 'event-latency-p95')?.target ?? 3000) / 1000, label: 'p95 limit' },
    }),
  );
  writeFileSync(path.join(dir, `${base}.md`), throughputMarkdown(r, base));
}

function printSummary(r: ThroughputResult, out: string): void {
  const L: string[] = [];
  L.push('', `bench:throughput (${r.mode}) on ${r.environment.cores} × ${r.environment.cpu}, ${Math.round(r.durationSec)} s`);
  L.push('Stage costs (CPU-ms per camera-second):');
  for (const s of r.stageTable) L.push(`  ${s.stage.padEnd(62)} ${s.cpuMsPerCameraSecond.toFixed(3).padStart(8)}${s.inSum ? '' : '  (not in sum)'}`);
  if (r.stageSumCpuMsPerCameraSecond !== undefined) L.push(`  ${'end to end (sum)'.padEnd(62)} ${r.stageSumCpuMsPerCameraSecond.toFixed(3).padStart(8)}  → ${(1000 / r.stageSumCpuMsPerCameraSecond).toFixed(0)} streams/core`);
  for (const s of r.live?.steps ?? []) {
    L.push(`Live K=${String(s.k).padStart(3)}: ${s.sustained ? 'sustained    ' : 'NOT sustained'} ${s.cpuMsPerCameraSecond.toFixed(2)} CPU-ms/camera-s, misses ${(s.misses.ratio * 100).toFixed(2)}%, p95 ${(s.latency.p95 / 1000).toFixed(2)} s, ${s.rssMb.perStream.toFixed(1)} MB/stream`);
  }
  if (r.live) L.push(`Largest K sustained: ${r.live.maxSustainedK} (${r.live.stoppedBecause})`);
  if (r.controlPlane) {
    const c = r.controlPlane;
    L.push(`Control plane, ${c.cameras} cameras: ${(c.coreShare * 100).toFixed(2)}% of one core (Node ${(c.nodeCoreShare * 100).toFixed(2)}%, redis ${(c.redisCoreShare * 100).toFixed(2)}%), ${c.publishes} publishes, p50/p95 ${c.publishLatency.p50.toFixed(0)}/${c.publishLatency.p95.toFixed(0)} ms`);
  }
  if (r.projection) {
    const p = r.projection.fromStages;
    const priv = r.projection.privateMemoryMb;
    L.push(
      `PROJECTION to 1000 streams: ${p.totalCores.toFixed(1)} cores (${p.streamCores.toFixed(1)} streams + ${p.controlPlaneCores.toFixed(2)} control plane)` +
        `${p.memoryMb !== undefined ? `, ${(p.memoryMb / 1024).toFixed(1)} GB summed RSS${priv !== undefined ? ` (${(priv / 1024).toFixed(1)} GB PSS)` : ''}` : ''}`,
    );
  }
  for (const c of r.targets) L.push(`  [${c.ok ? 'met   ' : 'MISSED'}] ${c.what}`);
  const base = outputBase(r.mode);
  L.push(`Results: ${path.relative(process.cwd(), out) || out}/${base}.{json,md}, ${base}-*.svg`);
  process.stdout.write(`${L.join('\n')}\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main().then(
  (code) => {
    process.exitCode = code;
    // Stray handles (a redis client reconnecting, an ffmpeg pipe) must not keep a finished bench alive.
    setTimeout(() => process.exit(code), 500).unref();
  },
  (err: unknown) => {
    if (err instanceof PatrolError) process.stderr.write(`\nbench:throughput: ${err.message}\n${err.hint ? `hint: ${err.hint}\n` : ''}`);
    else process.stderr.write(`\nbench:throughput failed: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 2;
    setTimeout(() => process.exit(2), 500).unref();
  },
);
