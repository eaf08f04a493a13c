/**
 * Soak (issue 8): the production pipeline at moderate load for a long time, watching for slow leaks and a
 * starved event loop.
 *
 *   npm run bench:soak -- --minutes 30 [--cameras 8] [--interval 2] [--warmup 300] [--label "…"]
 *
 * 8 RTSP cameras from the test RTSP server (fixture clips, looping in real time), analysis every 2 s with the
 * stand-in detector, the embedded durable queue with a consumer. Every 10 s it samples this process's RSS,
 * JS heap, the ffmpeg decoders' RSS and the event-loop delay (perf_hooks.monitorEventLoopDelay); RSS is also
 * read every second and each sample keeps the lowest reading. After the warm-up it fits a line to that RSS
 * floor and fails (exit 1) when RSS grows faster than 5 MB per 10 min, when the
 * event-loop delay p99 exceeds 200 ms, when the analysis rate falls below 80 % of the expected, or when a
 * camera is not live at the end; exit 3 (inconclusive) when the RSS slope is above the bound but within two
 * standard errors of it (a run too short to tell a leak from GC noise). Writes bench/results/soak.{json,md} (--out to change). Not in CI: it takes
 * half an hour and wants a quiet machine.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { ConfigSchema } from '../src/config/schema.js';
import { createDispatchQueue } from '../src/dispatch/create-queue.js';
import { createLogger } from '../src/log/logger.js';
import { startPipeline } from '../src/pipeline/pipeline.js';
import { HAS_SHARED, REPO, STAND_IN_MANIFEST, fixtureVideo } from '../support/fixture-video.js';
import { TestRtspServer } from '../support/rtsp.js';
import { DEFAULT_BOUNDS, soakVerdict, type SoakSample } from './lib/soak/stats.js';
import { soakMarkdown, type SoakResult } from './lib/soak/report.js';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    cameras: { type: 'string', default: '8' },
    interval: { type: 'string', default: '2' },
    warmup: { type: 'string' },
    'sample-sec': { type: 'string', default: '10' },
    label: { type: 'string' },
    out: { type: 'string', default: path.join(REPO, 'bench', 'results', 'soak') },
    'max-rss-mb-per-10min': { type: 'string', default: String(DEFAULT_BOUNDS.maxRssMbPer10Min) },
    'max-lag-p99-ms': { type: 'string', default: String(DEFAULT_BOUNDS.maxLagP99Ms) },
  },
});

const MB = 1024 * 1024;
const SOAK_STALL_RULE = { dwellSec: 10, hits: 3, window: 5, endAfterSec: 8, cooldownSec: 10 };
/** Clips with something to detect (stall events) and without; two cameras per clip, one server per clip. */
const CLIPS = ['stall_setup', 'vendor_passing', 'empty_day', 'dumping'];

function positive(name: string, text: string | undefined): number {
  const n = Number(text);
  if (!(n > 0)) {
    console.error(`soak: --${name} ${text}: give a positive number`);
    process.exit(2);
  }
  return n;
}

/** The ffmpeg children of this process and their resident memory (Linux /proc). */
function ffmpegChildren(): { count: number; rssMb: number } {
  let count = 0;
  let rssKb = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const ppid = Number(stat.slice(close + 2).split(' ')[1]);
      if (ppid !== process.pid || comm !== 'ffmpeg') continue;
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      count++;
      rssKb += m ? Number(m[1]) : 0;
    } catch {
      // exited meanwhile
    }
  }
  return { count, rssMb: rssKb / 1024 };
}

async function main(): Promise<number> {
  if (!HAS_SHARED) {
    console.error('soak: ../shared/models/yolox_nano.onnx is absent; the soak runs the stand-in detector from ../shared.');
    return 2;
  }
  const minutes = positive('minutes', args.minutes);
  const cameras = Math.round(positive('cameras', args.cameras));
  const intervalSec = positive('interval', args.interval);
  const sampleSec = positive('sample-sec', args['sample-sec']);
  const warmupSec = args.warmup !== undefined ? Number(args.warmup) : Math.min(300, Math.round(minutes * 60 * 0.2));
  const bounds = { ...DEFAULT_BOUNDS, maxRssMbPer10Min: positive('max-rss-mb-per-10min', args['max-rss-mb-per-10min']), maxLagP99Ms: positive('max-lag-p99-ms', args['max-lag-p99-ms']) };
  const label = args.label ?? `${minutes} min soak`;
  const startedAt = new Date().toISOString();
  const loadAvgAtStart = os.loadavg();

  const storageDir = path.join(os.tmpdir(), `patrol-soak-${process.pid}`);
  mkdirSync(storageDir, { recursive: true });
  console.error(`soak: ${label}: ${cameras} cameras, analysis every ${intervalSec} s, ${minutes} min (warm-up ${warmupSec} s), storage ${storageDir}`);

  // One test RTSP server per clip, cameras spread over them.
  const servers: TestRtspServer[] = [];
  const urls: string[] = [];
  const perClip = Math.ceil(cameras / CLIPS.length);
  for (const name of CLIPS) {
    if (urls.length >= cameras) break;
    const n = Math.min(perClip, cameras - urls.length);
    const mounts = Array.from({ length: n }, (_, i) => `${name}-${i + 1}`);
    const server = await TestRtspServer.start({ mounts, clip: fixtureVideo(name, 'ts') });
    servers.push(server);
    for (const m of mounts) urls.push(server.url(m));
  }

  const config = ConfigSchema.parse({
    cameras: urls.map((url, i) => ({ id: `soak-${String(i + 1).padStart(2, '0')}`, url, intervalSec, violations: ['stall', 'dumping', 'burning'] })),
    detector: { manifest: STAND_IN_MANIFEST, threads: 1 },
    // Shorter than production so that events open and end during the run (evidence, queue and open-event files
    // get exercised): the stall_setup clip loops every 150 s with the stall missing for its first 12 s.
    rules: { stall: SOAK_STALL_RULE },
    storage: { dir: storageDir },
    review: { enabled: false },
  });
  const logger = createLogger({ level: 'warn', destination: process.stderr, pretty: false });
  const queue = createDispatchQueue({ name: 'soak', storageDir, logger });
  let published = 0;
  let delivered = 0;
  await queue.consume(async () => void delivered++);
  let opened = 0;
  let ended = 0;
  let stateChanges = 0;
  const pipeline = await startPipeline({
    config,
    logger,
    queue: {
      kind: queue.kind,
      publish: async (m) => {
        await queue.publish(m);
        published++;
      },
      consume: (h) => queue.consume(h),
      depth: () => queue.depth(),
      close: () => queue.close(),
    },
    mode: 'live',
    rtspAnalyzeDurationMs: 1_000,
    onChange: (c) => {
      if (c.kind === 'opened') opened++;
      if (c.kind === 'ended') ended++;
    },
    onStatus: () => void stateChanges++,
  });

  const t0 = Date.now();
  const window = monitorEventLoopDelay({ resolution: 10 });
  const whole = monitorEventLoopDelay({ resolution: 10 });
  window.enable();
  let wholeEnabled = false;
  const samples: SoakSample[] = [];
  let lastFrames = 0;
  let lastT = 0;
  let lastCpu = process.cpuUsage();

  // RSS every second; each sample keeps the lowest and highest reading since the previous one.
  let rssMin = Infinity;
  let rssMax = 0;
  const readRss = (): void => {
    const rss = process.memoryUsage.rss() / MB;
    rssMin = Math.min(rssMin, rss);
    rssMax = Math.max(rssMax, rss);
  };
  const rssTimer = setInterval(readRss, 1_000);

  const sample = async (): Promise<void> => {
    readRss();
    const t = (Date.now() - t0) / 1000;
    if (!wholeEnabled && t >= warmupSec) {
      whole.enable();
      wholeEnabled = true;
    }
    const mem = process.memoryUsage();
    const ff = ffmpegChildren();
    const cpu = process.cpuUsage(lastCpu);
    lastCpu = process.cpuUsage();
    const frames = pipeline.loop.framesAnalyzed;
    const s: SoakSample = {
      t,
      rssMb: mem.rss / MB,
      rssMinMb: rssMin,
      rssMaxMb: rssMax,
      heapUsedMb: mem.heapUsed / MB,
      externalMb: (mem.external + mem.arrayBuffers) / MB,
      ffmpegRssMb: ff.rssMb,
      ffmpegCount: ff.count,
      lagP50Ms: window.percentile(50) / 1e6,
      lagP99Ms: window.percentile(99) / 1e6,
      lagMaxMs: window.max / 1e6,
      framesAnalyzed: frames,
      fps: t > lastT ? (frames - lastFrames) / (t - lastT) : 0,
      camerasLive: pipeline.statuses().filter((x) => x.state === 'live').length,
      eventsOpened: opened,
      queueDepth: await queue.depth(),
      cpuPct: ((cpu.user + cpu.system) / 1e3 / ((t - lastT) * 1000)) * 100,
      loadAvg1: os.loadavg()[0]!,
    };
    window.reset();
    rssMin = Infinity;
    rssMax = 0;
    lastFrames = frames;
    lastT = t;
    samples.push(s);
    console.error(
      `soak: t=${Math.round(t)} s rss ${s.rssMb.toFixed(1)} MB heap ${s.heapUsedMb.toFixed(1)} MB ffmpeg ${s.ffmpegRssMb.toFixed(0)} MB (${s.ffmpegCount}) ` +
        `lag p99 ${s.lagP99Ms.toFixed(1)} ms ${s.fps.toFixed(2)} fps live ${s.camerasLive}/${cameras} events ${opened} depth ${s.queueDepth}`,
    );
  };

  const endAt = t0 + minutes * 60_000;
  let stopRequested = false;
  process.once('SIGINT', () => (stopRequested = true));
  while (Date.now() < endAt && !stopRequested) {
    await new Promise((r) => setTimeout(r, Math.min(sampleSec * 1000, Math.max(0, endAt - Date.now()))));
    await sample();
  }

  clearInterval(rssTimer);
  window.disable();
  whole.disable();
  const verdict = soakVerdict(samples, {
    warmupSec,
    lagP99Ms: wholeEnabled ? whole.percentile(99) / 1e6 : Number.NaN,
    lagMaxMs: wholeEnabled ? whole.max / 1e6 : Number.NaN,
    // Keyframe decoding: one frame per max(interval, GOP) per camera; the fixture clips have a 2 s GOP.
    expectedFps: cameras / Math.max(intervalSec, 2),
    camerasTotal: cameras,
    bounds,
  });
  const changesBeforeStop = stateChanges;
  await pipeline.stop();
  await queue.close();
  await Promise.all(servers.map((s) => s.stop()));

  const result: SoakResult = {
    schema: 'patrol-soak/1',
    label,
    startedAt,
    minutes: Math.round(((Date.now() - t0) / 60_000) * 10) / 10,
    warmupSec,
    cameras,
    intervalSec,
    clips: CLIPS,
    rules: { stall: SOAK_STALL_RULE },
    model: `${pipeline.model.name} v${pipeline.model.version}`,
    machine: { cpus: os.cpus().length, node: process.version, loadAvgAtStart },
    bounds,
    verdict,
    totals: { framesAnalyzed: pipeline.loop.framesAnalyzed, eventsOpened: opened, eventsEnded: ended, published, delivered, cameraStateChanges: changesBeforeStop },
    samples,
  };
  mkdirSync(path.dirname(args.out), { recursive: true });
  writeFileSync(`${args.out}.json`, `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(`${args.out}.md`, soakMarkdown(result));
  console.error(`soak: ${verdict.status.toUpperCase()}: RSS ${verdict.rss.mbPer10Min.toFixed(2)} MB/10 min, lag p99 ${verdict.lagP99Ms.toFixed(1)} ms, ${verdict.fps.toFixed(2)} fps; wrote ${args.out}.{json,md}`);
  for (const f of verdict.failures) console.error(`soak:   ${f}`);
  return verdict.status === 'pass' ? 0 : verdict.status === 'inconclusive' ? 3 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
