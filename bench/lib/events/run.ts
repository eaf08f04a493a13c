import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PatrolConfig } from '../../../src/config/schema.js';
import type { Detection, Detections } from '../../../src/contracts/detections.js';
import { Detector } from '../../../src/detect/detector.js';
import { createDispatchQueue } from '../../../src/dispatch/create-queue.js';
import type { DispatchMessage } from '../../../src/contracts/dispatch-message.js';
import type { Frame } from '../../../src/contracts/frame.js';
import { createLogger } from '../../../src/log/logger.js';
import { startPipeline, type CameraSummary } from '../../../src/pipeline/pipeline.js';
import type { PatrolEvent } from '../../../src/contracts/event.js';
import { resolveRules, scoreThreshold, type Rules } from '../../../src/score/rules.js';
import { zoneHits } from '../../../src/score/zone-filter.js';
import type { ViolationType } from '../../../src/contracts/violation.js';
import { VIDEO } from '../../../fixtures/plan.js';
import { TruthSchema, type Truth } from '../../../fixtures/truth.js';
import { alignCamera, toVideoSec, type CameraAlignment } from './align.js';
import { FixtureRtspServer } from './rtsp.js';
import type { BenchEvent, SceneTruth } from './score.js';

export type BenchMode = 'rtsp' | 'file';

/** GOP of the fixture videos (fixtures/plan.ts: 50 frames at 25 fps): the analyzed keyframes' spacing. */
const GOP_SEC = VIDEO.gop / VIDEO.fps;

/** One fixture camera of the config, with its files and ground truth. */
export interface FixtureScene {
  camera: PatrolConfig['cameras'][number];
  mp4: string;
  ts: string;
  truth: Truth;
}

/** What one analyzed frame showed, reduced to what the report and the diagnosis need. */
export interface FrameObservation {
  cameraId: string;
  videoSec: number;
  wallMs: number;
  ptsMs: number;
  /** Detections that count for a (zone, type) track of this camera: number and best score per type. */
  zoneHits: Partial<Record<ViolationType, { n: number; best: number; labels: string[] }>>;
  /** Best score per detected label (all classes, anywhere in the picture). */
  labels: Record<string, number>;
  /** Detections of classes mapped to a violation with a score that passes its rule, in the zone or not. */
  violationDets: Array<{ type: ViolationType; label: string; score: number; box: [number, number, number, number]; inZone: boolean }>;
}

export interface CameraAlignmentSummary {
  cameraId: string;
  feederStartMs: number;
  /** Analyzed frames of the warm-up (the scene's first GOP looped while the camera connected). */
  warmupFrames: number;
  durationSec: number;
  segments: number;
  snapped: boolean;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  firstVideoSec: number | null;
  lastVideoSec: number | null;
}

export interface RunResult {
  mode: BenchMode;
  model: { name: string; version: string; manifest: string };
  rules: Rules;
  events: BenchEvent[];
  /** Raw latest version of each event (wall/file ms), for the JSON. */
  rawEvents: PatrolEvent[];
  frames: FrameObservation[];
  cameras: CameraSummary[];
  alignment: CameraAlignmentSummary[];
  dispatched: { opened: number; ended: number; updated: number };
  loop: { framesAnalyzed: number; inferenceMs: number; errors: number };
  wallSec: number;
  logFile: string;
}

export interface RunOptions {
  config: PatrolConfig;
  scenes: FixtureScene[];
  model: string;
  mode: BenchMode;
  /** rtsp: seconds to keep the pipeline running after the last feeder stopped. */
  marginSec: number;
  /**
   * rtsp: seconds each feeder plays relative to one loop (default −1: stopped 1 s before the end, after the
   * last keyframe was sent and surely before the next loop's first; the alignment relies on the latter).
   */
  feederTailSec?: number;
  /** rtsp: longest wait for every camera to deliver frames from the warm-up feed (default 90 s). */
  warmupMaxSec?: number;
  /** rtsp: silence between the warm-up feed and the fixture (default 2.5 s), longer than any frame's latency. */
  switchGapSec?: number;
  redisUrl?: string;
  /** Pipeline log (JSON lines); default: a file in the run's temp dir. */
  logFile?: string;
  progress?: (line: string) => void;
  keepStorage?: boolean;
}

/** Reads the config's fixture cameras: the video each camera reads and its `.ts` and `.truth.json` neighbours. */
export function fixtureScenes(config: PatrolConfig, only: readonly string[] = []): { scenes: FixtureScene[]; skipped: string[] } {
  const scenes: FixtureScene[] = [];
  const skipped: string[] = [];
  const wanted = only.length ? config.cameras.filter((c) => only.includes(c.id)) : config.cameras.filter((c) => c.enabled);
  const unknown = only.filter((n) => !config.cameras.some((c) => c.id === n));
  if (unknown.length) throw new Error(`unknown scene(s): ${unknown.join(', ')}; the config has ${config.cameras.map((c) => c.id).join(', ')}`);
  for (const camera of wanted) {
    if (!camera.url.startsWith('file://')) {
      skipped.push(`${camera.id} (not a file:// camera)`);
      continue;
    }
    const mp4 = fileURLToPath(camera.url);
    const base = mp4.replace(/\.[^./]+$/, '');
    const ts = `${base}.ts`;
    const truthFile = `${base}.truth.json`;
    const missing = [mp4, ts, truthFile].filter((f) => !existsSync(f));
    if (missing.length) {
      skipped.push(`${camera.id} (missing ${missing.map((f) => f.slice(dirname(mp4).length + 1)).join(', ')}; run npm run fixtures)`);
      continue;
    }
    const parsed = TruthSchema.safeParse(JSON.parse(readFileSync(truthFile, 'utf8')));
    if (!parsed.success) {
      skipped.push(`${camera.id} (invalid ${truthFile}: ${parsed.error.issues[0]?.message})`);
      continue;
    }
    scenes.push({ camera: { ...camera, enabled: true }, mp4, ts, truth: parsed.data });
  }
  return { scenes, skipped };
}

/** The scorer's view of a scene's truth. */
export function sceneTruth(s: FixtureScene): SceneTruth {
  const watched = new Set<ViolationType>(s.camera.zones.length ? s.camera.zones.flatMap((z) => z.violations).filter((v) => s.camera.violations.includes(v)) : s.camera.violations);
  return {
    name: s.camera.id,
    title: s.truth.title,
    durationSec: s.truth.durationSec,
    mustNotAlert: s.truth.mustNotAlert,
    watched: [...watched],
    intervals: s.truth.violations.map((v) => ({ type: v.type, zoneId: v.zoneId, startSec: v.startSec, endSec: v.endSec })),
    intervalSec: s.camera.intervalSec,
  };
}

/**
 * Sees every batch the detector analyzes, in this process only: wraps Detector.prototype.detect once.
 * The pipeline code is unchanged; the bench needs the detections to tell a model gap from a scorer gap
 * and the frames' PTS to align live time.
 */
type Tap = (frames: readonly Frame[], results: readonly Detections[]) => void;
let activeTap: Tap | undefined;
let tapped = false;
function installTap(): void {
  if (tapped) return;
  tapped = true;
  const original = Detector.prototype.detect;
  Detector.prototype.detect = async function (this: Detector, frames: Frame[]): Promise<Detections[]> {
    const results = await original.call(this, frames);
    try {
      activeTap?.(frames, results);
    } catch {
      // observing must never break the pipeline
    }
    return results;
  };
}

interface RawObservation {
  cameraId: string;
  wallMs: number;
  ptsMs: number;
  items: Detection[];
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function runBench(opts: RunOptions): Promise<RunResult> {
  const started = Date.now();
  const say = opts.progress ?? (() => {});
  const storageDir = mkdtempSync(join(tmpdir(), 'patrol-bench-events-'));
  const logFile = opts.logFile ?? join(storageDir, 'pipeline.log');
  const logStream = createWriteStream(logFile, { flags: 'a' });
  const logger = createLogger({ level: 'info', destination: logStream, pretty: false });
  const rules = resolveRules(opts.config.rules);
  const ids = opts.scenes.map((s) => s.camera.id);
  let server: FixtureRtspServer | undefined;
  const warmClips = new Map<string, string>();
  if (opts.mode === 'rtsp') {
    server = await FixtureRtspServer.start(opts.scenes.map((s) => ({ name: s.camera.id, clip: s.ts })));
    say(`rtsp server on 127.0.0.1:${server.port}, mounts ${ids.join(', ')}`);
    // Warm-up feed: the scene's first GOP (one keyframe, the picture at 0 s), looped while the camera connects.
    mkdirSync(join(storageDir, 'warmup'), { recursive: true });
    for (const s of opts.scenes) {
      const warm = join(storageDir, 'warmup', `${s.camera.id}.ts`);
      const r = spawnSync(server.ffmpeg, ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', '-i', s.ts, '-t', String(GOP_SEC), '-c', 'copy', warm], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`cannot cut the warm-up clip of ${s.camera.id}: ${r.stderr}`);
      warmClips.set(s.camera.id, warm);
    }
  }
  // rtsp mode pins ffmpeg: the alignment puts frames on the keyframe grid, and the 2.5 s pause between the
  // warm-up feed and the fixture is a keyframe gap longer than a 2 s interval, after which the in-process client
  // decodes forward from the keyframe (frames between keyframes; measured: GOP 2.8 s > interval 2 s).
  const cameras = opts.scenes.map((s) => (server ? { ...s.camera, url: server.url(s.camera.id), transport: 'ffmpeg' as const } : { ...s.camera, loop: false }));
  const config: PatrolConfig = {
    ...opts.config,
    cameras,
    detector: { ...opts.config.detector, manifest: opts.model },
    storage: { dir: storageDir },
    review: { ...opts.config.review, enabled: false },
  };

  const raw: RawObservation[] = [];
  installTap();
  activeTap = (frames, results) => {
    frames.forEach((f, i) => raw.push({ cameraId: f.cameraId, wallMs: f.timestamp, ptsMs: f.ptsMs, items: results[i]?.items ?? [] }));
  };

  const queue = createDispatchQueue({ name: 'bench-events', storageDir, logger, ...(opts.redisUrl ? { redisUrl: opts.redisUrl } : {}) });
  const dispatched = { opened: 0, ended: 0, updated: 0 };
  await queue.consume(async (msg: DispatchMessage) => {
    if (ids.includes(msg.event.cameraId)) dispatched[msg.kind]++;
  });
  const latest = new Map<string, PatrolEvent>();
  const connectedAt = new Map<string, number[]>(ids.map((id) => [id, []]));
  const lastState = new Map<string, string>();
  let openedSoFar = 0;
  const pipeline = await startPipeline({
    config,
    logger,
    queue,
    mode: opts.mode === 'rtsp' ? 'live' : 'once',
    startTimeMs: 0,
    persistOpenEvents: false,
    onStatus: (status) => {
      // A connection begins when the camera turns live; a live status with a new reason is the same one.
      if (status.state === 'live' && lastState.get(status.cameraId) !== 'live') connectedAt.get(status.cameraId)?.push(Date.now());
      lastState.set(status.cameraId, status.state);
    },
    onChange: (change) => {
      latest.set(change.event.id, change.event);
      if (change.kind === 'opened') {
        openedSoFar++;
        say(`event opened: ${change.event.cameraId} ${change.event.type} (${change.event.zoneId})`);
      }
    },
  });
  say(`pipeline started: ${pipeline.model.name} ${pipeline.model.version}, ${cameras.length} camera(s), ${opts.mode} mode`);

  const feederStart = new Map<string, number>();
  try {
    if (server) {
      const srv = server;
      // 1. Warm-up: each camera connects (RTSP handshake, ffmpeg's 5 s probe) on a loop of its first GOP, so
      //    the fixture itself can start from 0 s on a camera that is already delivering frames.
      for (const s of opts.scenes) srv.startFeeder(s.camera.id, warmClips.get(s.camera.id));
      const warmStart = Date.now();
      const steady = (id: string) => {
        const w = raw.filter((r) => r.cameraId === id).map((r) => r.wallMs);
        return w.length >= 2 && w[w.length - 1]! - w[0]! >= 1500;
      };
      say(`warm-up: ${ids.length} camera(s) connecting on their scene's first frame`);
      while (!ids.every(steady) && Date.now() - warmStart < (opts.warmupMaxSec ?? 90) * 1000) await sleep(250);
      const cold = ids.filter((id) => !steady(id));
      if (cold.length) say(`!! warm-up: no steady frames after ${opts.warmupMaxSec ?? 90} s from ${cold.join(', ')}; starting anyway`);
      else say(`warm-up done in ${((Date.now() - warmStart) / 1000).toFixed(1)} s`);
      // 2. Switch: stop the warm-up feeds, let the frames in flight arrive, start every fixture from 0 s.
      await Promise.all(ids.map((id) => srv.stopFeeder(id)));
      await sleep((opts.switchGapSec ?? 2.5) * 1000);
      const tail = (opts.feederTailSec ?? -GOP_SEC / 2) * 1000;
      const stops: Promise<void>[] = [];
      for (const s of opts.scenes) {
        const t0 = srv.startFeeder(s.camera.id);
        feederStart.set(s.camera.id, t0);
        const stopAt = t0 + s.truth.durationSec * 1000 + tail;
        stops.push(sleep(stopAt - Date.now()).then(() => srv.stopFeeder(s.camera.id)));
      }
      const longest = Math.max(...opts.scenes.map((s) => s.truth.durationSec));
      const t0 = Date.now();
      const ticker = setInterval(() => {
        const el = (Date.now() - t0) / 1000;
        const live = pipeline.statuses().filter((s) => s.state === 'live').length;
        say(`${el.toFixed(0)}/${longest + opts.marginSec} s: ${live}/${cameras.length} cameras live, ${pipeline.loop.framesAnalyzed} frames analyzed, ${openedSoFar} event(s)`);
      }, 10_000);
      await Promise.all(stops);
      await sleep(opts.marginSec * 1000);
      clearInterval(ticker);
      await pipeline.stop();
    } else {
      const ticker = setInterval(() => say(`${pipeline.loop.framesAnalyzed} frames analyzed, ${openedSoFar} event(s)`), 5_000);
      await pipeline.done;
      clearInterval(ticker);
    }
    // Let the consumer drain what the pipeline published.
    for (let i = 0; i < 50 && (await queue.depth()) > 0; i++) await sleep(100);
  } finally {
    activeTap = undefined;
    await pipeline.stop();
    await queue.close();
    await server?.stop();
  }
  const camerasSummary = pipeline.cameras();
  await new Promise<void>((r) => logStream.end(() => r()));

  // Wall/file ms → video seconds.
  const alignments = new Map<string, CameraAlignment>();
  const alignment: CameraAlignmentSummary[] = [];
  const videoSec = (cameraId: string, ms: number): number => {
    const a = alignments.get(cameraId);
    if (!a) return ms / 1000;
    // Warm-up frames: before the fixture started (negative video time).
    return ms < a.feederStartMs ? (ms - a.feederStartMs) / 1000 : toVideoSec(a, ms);
  };
  if (opts.mode === 'rtsp') {
    for (const s of opts.scenes) {
      const id = s.camera.id;
      const t0 = feederStart.get(id) ?? started;
      const own = raw.filter((r) => r.cameraId === id);
      const a = alignCamera(
        own.filter((r) => r.wallMs >= t0).map((r) => ({ wallMs: r.wallMs, ptsMs: r.ptsMs })),
        t0,
        { gridMs: GOP_SEC * 1000, connectedAtMs: connectedAt.get(id) ?? [], maxFileMs: s.truth.durationSec * 1000 - (GOP_SEC * 1000) / 2 },
      );
      alignments.set(id, a);
      const times = [...a.videoSecByWall.values()];
      alignment.push({
        cameraId: id,
        feederStartMs: a.feederStartMs,
        warmupFrames: own.filter((r) => r.wallMs < t0).length,
        durationSec: s.truth.durationSec,
        segments: a.segments.length,
        snapped: a.snapped,
        latencyP50Ms: a.latencyMs.p50,
        latencyP95Ms: a.latencyMs.p95,
        firstVideoSec: times.length ? Math.min(...times) : null,
        lastVideoSec: times.length ? Math.max(...times) : null,
      });
    }
  }

  const camById = new Map(cameras.map((c) => [c.id, c]));
  const frames: FrameObservation[] = raw
    .filter((r) => camById.has(r.cameraId) && r.wallMs >= (feederStart.get(r.cameraId) ?? -Infinity))
    .map((r) => {
      const cam = camById.get(r.cameraId)!;
      const hits: FrameObservation['zoneHits'] = {};
      const zoneHitList = zoneHits(r.items, cam, rules);
      for (const zh of zoneHitList) {
        if (zh.detections.length === 0) continue;
        const cur = hits[zh.type] ?? { n: 0, best: 0, labels: [] };
        cur.n += zh.detections.length;
        cur.best = Math.max(cur.best, ...zh.detections.map((d) => d.score));
        cur.labels = [...new Set([...cur.labels, ...zh.detections.map((d) => d.label)])];
        hits[zh.type] = cur;
      }
      const labels: Record<string, number> = {};
      for (const d of r.items) labels[d.label] = Math.max(labels[d.label] ?? 0, Number(d.score.toFixed(3)));
      const counted = new Set(zoneHitList.flatMap((zh) => zh.detections));
      const violationDets = r.items
        .filter((d) => d.violation !== undefined && cam.violations.includes(d.violation) && d.score >= scoreThreshold(rules[d.violation], d.label))
        .map((d) => ({ type: d.violation!, label: d.label, score: Number(d.score.toFixed(3)), box: d.box.map((v) => Number(v.toFixed(3))) as [number, number, number, number], inZone: counted.has(d) }));
      return { cameraId: r.cameraId, videoSec: videoSec(r.cameraId, r.wallMs), wallMs: r.wallMs, ptsMs: r.ptsMs, zoneHits: hits, labels, violationDets };
    })
    .sort((a, b) => a.cameraId.localeCompare(b.cameraId) || a.videoSec - b.videoSec);

  const rawEvents = [...latest.values()].filter((e) => camById.has(e.cameraId));
  const events: BenchEvent[] = rawEvents.map((e) => ({
    id: e.id,
    cameraId: e.cameraId,
    zoneId: e.zoneId,
    type: e.type,
    startSec: videoSec(e.cameraId, e.startedAt),
    confirmedSec: videoSec(e.cameraId, e.confirmedAt),
    lastSeenSec: videoSec(e.cameraId, e.lastSeenAt),
    endedSec: e.endedAt === null ? null : videoSec(e.cameraId, e.endedAt),
    peakScore: Number(e.peakScore.toFixed(3)),
    labels: [...new Set(e.bestBoxes.map((b) => b.label))],
  }));

  if (!opts.keepStorage) {
    // Keep the log (it may be asked for); drop evidence and the queue.
    for (const entry of readdirSync(storageDir)) if (join(storageDir, entry) !== logFile) rmSync(join(storageDir, entry), { recursive: true, force: true });
  }

  return {
    mode: opts.mode,
    model: { name: pipeline.model.name, version: pipeline.model.version, manifest: opts.model },
    rules,
    events,
    rawEvents,
    frames,
    cameras: camerasSummary,
    alignment,
    dispatched,
    loop: { framesAnalyzed: pipeline.loop.framesAnalyzed, inferenceMs: Math.round(pipeline.loop.inferenceMs), errors: pipeline.loop.errors },
    wallSec: (Date.now() - started) / 1000,
    logFile,
  };
}
