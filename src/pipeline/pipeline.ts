import { SceneFiles } from './scene-files.js';
import type { ScenePort } from '../scene/snapshot.js';
import type { Logger } from 'pino';
import type { CameraConfig, PatrolConfig } from '../config/schema.js';
import { resolveTransport, rtpOf } from '../config/transport.js';
import { Detector } from '../detect/detector.js';
import { resolveFfmpeg } from '../decode/ffmpeg-path.js';
import { KeyframeDecoderPool } from '../decode/decoder-pool.js';
import { ReadPacer } from '../ingest/rtsp/read-pacer.js';
import { TourRunner } from '../ingest/tour-runner.js';
import { createCameraSource, type CameraSource } from '../ingest/camera-source.js';
import type { Frame } from '../contracts/frame.js';
import type { Box } from '../contracts/box.js';
import { transportLabel, type SourceStatus, type TourVisitReport, type TransportChoice } from '../contracts/camera-status.js';
import type { Detections } from '../contracts/detections.js';
import { resolveRules } from '../score/rules.js';
import type { EventChange, PatrolEvent } from '../contracts/event.js';
import { EvidenceRecorder } from '../evidence/persistence-proof.js';
import { ClipRecorder, preRollSecondsFor, ringSecondsFor } from '../evidence/clip-recorder.js';
import { ringDirFor } from '../evidence/clip-ring.js';
import type { DispatchQueue } from '../dispatch/queue.js';
import { FrameMailbox } from './frame-mailbox.js';
import { newLoopStats, runAnalysisLoop, type LoopStats } from './analysis-loop.js';
import { CameraAnalyzer, type OpenEventsPort } from './camera-analyzer.js';
import { OpenEventsFiles } from './open-events-file.js';
import { BurningCheck } from '../detect/burning-check.js';
import { loadManifest } from '../detect/load-manifest.js';
import { burstSourceFor } from './burst-source.js';

/** Manifest thresholds of the classes that feed burning (what the burning check decides on). */
async function burningThresholds(manifestPath: string): Promise<Map<string, number>> {
  const { manifest } = await loadManifest(manifestPath, { verifySha256: false });
  return new Map(manifest.classes.filter((c) => c.violation === 'burning').map((c) => [c.name, c.threshold]));
}

export type PipelineMode =
  /** Cameras run until stopped; file cameras loop in real time like live cameras. */
  | 'live'
  /** Each file camera is read once as fast as possible (timestamps from the file); RTSP cameras give one frame. */
  | 'once';

export interface PipelineOptions {
  config: PatrolConfig;
  logger: Logger;
  queue: DispatchQueue;
  mode: PipelineMode;
  /** `once` mode: epoch ms that the files' PTS 0 maps to (default: now). */
  startTimeMs?: number;
  /** Keep open events across restarts (live mode). Default: true in live mode. */
  persistOpenEvents?: boolean;
  onChange?: (change: EventChange) => void;
  /** Every source status change (for metrics and health). */
  onStatus?: (status: SourceStatus) => void;
  /** Every tour visit of a toured camera (cameras[].tour), as it ends (for metrics). */
  onTourVisit?: (visit: TourVisitReport) => void;
  /** Every decoded frame, before the mailbox (for metrics). */
  onFrame?: (cameraId: string) => void;
  /** Evidence clips from a per-camera ring of recent video (live mode). Default true. */
  clips?: boolean;
  /** Where open events survive a restart; default: files under the storage dir (live mode). */
  openEvents?: OpenEventsPort;
  /** Where each camera's scene model survives a restart; default: files under the storage dir (live mode). */
  scenes?: ScenePort;
  // --- Hooks for the fleet worker (src/fleet) and observability (src/observe); all optional. ---
  /** Checked right before an analyzed frame is scored: false drops its results (a worker whose lease on the camera is running out). */
  admit?: (frame: Frame) => boolean;
  /** Every admitted analyzed frame with its detections, before scoring (camera health checks, metrics). */
  onAnalyzed?: (frame: Frame, detections: Detections) => void;
  /** Every detector call: batch size and milliseconds (metrics, the worker's budget). */
  onBatch?: (size: number, ms: number) => void;
  /** RTSP sources: ffmpeg's probe time (default ffmpeg's 5 s); shorter starts a camera that moved to this worker sooner. */
  rtspAnalyzeDurationMs?: number;
}

export interface CameraSummary {
  cameraId: string;
  state: SourceStatus['state'];
  frames: number;
  opened: number;
  ended: number;
  reason?: string;
  /** How the camera is received and why. */
  transport: TransportChoice;
}

export interface Pipeline {
  readonly model: Detector['info'];
  readonly loop: LoopStats;
  /** Resolves when every source has ended (once mode) or after stop(). */
  readonly done: Promise<void>;
  statuses(): SourceStatus[];
  cameras(): CameraSummary[];
  /** Latest version of the most recent events (at most 1000), oldest first. */
  events(): PatrolEvent[];
  /** Starts analyzing one more camera (a worker that gained a lease). */
  addCamera(camera: CameraConfig): void;
  /** Stops a camera once its in-flight frame is published (a worker that lost or released a lease). */
  removeCamera(cameraId: string): Promise<void>;
  cameraIds(): string[];
  /** A reviewer's "normal here": the camera's scene model takes what is in `box` (normalized) now as reference. */
  acceptAsNormal(cameraId: string, box: Box): boolean;
  /** The camera's view moved (camera health: shifted): its scene model takes the next frame as baseline. */
  rereference(cameraId: string): void;
  stop(): Promise<void>;
}

const RECENT_EVENTS = 1000;
/** The supervisor's reason when the SDP offers no H.264 or H.265 (ingest/rtsp-supervisor.ts), with what it offers. */
const UNSUPPORTED_CODEC = /^unsupported video: .*\(offered: ([^)]*)\)/;

/**
 * Builds and starts the spine for the enabled cameras: sources → mailbox → batched detector → per-camera
 * analyzer (score, evidence, publish). A camera that fails only affects itself; its source keeps retrying.
 */
export async function startPipeline(opts: PipelineOptions): Promise<Pipeline> {
  const { config, logger, queue, mode } = opts;
  const check = config.detector.burningCheck;
  // The burning check sees fire and smoke down to candidateRatio of their thresholds and decides itself.
  const burnThresholds = await burningThresholds(config.detector.manifest);
  const detector = await Detector.load(config.detector.manifest, {
    threads: config.detector.threads,
    cropCheck: config.detector.cropCheck,
    classThresholds: check.enabled ? Object.fromEntries([...burnThresholds].map(([label, t]) => [label, t * check.candidateRatio])) : undefined,
  });
  const model = detector.info;
  logger.info({ model: model.name, version: model.version, file: model.modelPath, input: `${model.inputWidth}x${model.inputHeight}`, batch: model.batch, threads: model.threads, cropChecked: model.cropChecked }, `detector loaded: ${model.name}`);

  const ffmpeg = resolveFfmpeg();
  const pixelFormat = detector.manifest.input.channelOrder === 'BGR' ? 'bgr24' : 'rgb24';
  // One keyframe decoder pool for the process's native cameras, made when the first one comes. poolFor and
  // tourFor take the camera as its source gets it, its transport already resolved (addCamera).
  let decoderPool: KeyframeDecoderPool | undefined;
  const poolFor = (camera: CameraConfig): KeyframeDecoderPool | undefined =>
    camera.transport === 'native' ? (decoderPool ??= new KeyframeDecoderPool({ ffmpegPath: ffmpeg.path, width: model.inputWidth, height: model.inputHeight, pixelFormat, log: logger })) : undefined;
  // One read pacer for the process's native cameras: all their sockets read in one batch every 100 ms.
  const readPacer = new ReadPacer();
  // One tour for the process's toured cameras: they share its visit slots and the decoder pool.
  let tourRunner: TourRunner | undefined;
  const tourFor = (camera: CameraConfig): TourRunner | undefined =>
    camera.transport === 'native' && camera.tour
      ? (tourRunner ??= new TourRunner({
          pool: poolFor(camera)!,
          maxVisits: config.tour.maxVisits,
          visitTimeoutMs: config.tour.visitTimeoutSec * 1000,
          missTolerance: config.tour.missTolerance,
          timeZone: config.tour.timezone,
          log: logger.child({ part: 'tour' }),
          readPacer,
          onVisit: opts.onTourVisit,
        }))
      : undefined;
  const rules = resolveRules(config.rules);
  const storageDir = config.storage.dir;
  const persist = opts.persistOpenEvents ?? mode === 'live';
  const openStore = opts.openEvents ?? (persist ? new OpenEventsFiles(storageDir, (file, err) => logger.warn({ file, err }, 'ignoring unreadable open-events file')) : undefined);
  const sceneStore = opts.scenes ?? (persist ? new SceneFiles(storageDir, (file, reason) => logger.warn({ file, reason }, 'ignoring unreadable scene-model file; the camera starts a new baseline')) : undefined);
  const mailbox = new FrameMailbox();
  const stats = newLoopStats();
  const startTimeMs = opts.startTimeMs ?? Date.now();
  const cameras = config.cameras.filter((c) => c.enabled);
  const configs = new Map<string, CameraConfig>();
  const analyzers = new Map<string, CameraAnalyzer>();
  const sources = new Map<string, CameraSource>();
  const recent = new Map<string, PatrolEvent>();
  const failures = new Map<string, SourceStatus>();
  const transports = new Map<string, TransportChoice>();
  const clipRecorders = new Map<string, ClipRecorder>();
  const burningChecks = new Map<string, BurningCheck>();
  const onChange = (change: EventChange): void => {
    recent.delete(change.event.id);
    recent.set(change.event.id, change.event);
    if (recent.size > RECENT_EVENTS) recent.delete(recent.keys().next().value!);
    opts.onChange?.(change);
  };

  const lines = new Map<string, Promise<boolean>>();
  const queueInLine = (cameraId: string, frame: Frame): Promise<boolean> => {
    const next = (lines.get(cameraId) ?? Promise.resolve(true)).then(() => mailbox.submit(frame));
    lines.set(cameraId, next);
    return next;
  };

  /** `choice`: the transport when it is not what the config resolves to (a camera gone over to ffmpeg). */
  const addCamera = (camera: CameraConfig, choice?: TransportChoice): void => {
    if (sources.has(camera.id)) throw new Error(`camera ${camera.id} is already running in this pipeline`);
    const log = logger.child({ camera: camera.id });
    const evidence = new EvidenceRecorder({
      storageDir,
      onError: (err, where) => log.error({ err, ...where }, 'could not write evidence file; the event goes out without it'),
    });
    // Clips need wall-clock video: live mode only (a file read at full speed has no ring). An ffmpeg camera's
    // own ffmpeg writes a ring folder; a native camera keeps its pre-roll in memory and hands spans over.
    const wantClips = mode === 'live' && opts.clips !== false;
    const transport = choice ?? resolveTransport(camera);
    transports.set(camera.id, transport);
    log.info({ cameraId: camera.id, transport: transport.kind, rtp: transport.rtp, why: transport.why }, `camera ${camera.id}: transport ${transportLabel(transport)} (${transport.why})`);
    const native = transport.kind === 'native';
    const ringDir = wantClips && !native ? ringDirFor(storageDir, camera.id) : undefined;
    const sourceCamera: CameraConfig = { ...camera, transport: transport.kind, ...(mode === 'once' ? { loop: false } : {}) };
    const source = createCameraSource(sourceCamera, {
      width: model.inputWidth,
      height: model.inputHeight,
      pixelFormat,
      ffmpeg,
      logger: log,
      realtime: mode === 'live',
      startTimeMs: mode === 'once' ? startTimeMs : undefined,
      analyzeDurationMs: opts.rtspAnalyzeDurationMs,
      ring: ringDir ? { dir: ringDir, seconds: ringSecondsFor() } : undefined,
      packetRing: wantClips && native ? { seconds: preRollSecondsFor() } : undefined,
      decoderPool: poolFor(sourceCamera),
      readPacer,
      tour: tourFor(sourceCamera),
    });
    const clips = ringDir || source.clipSpans ? new ClipRecorder({ storageDir, cameraId: camera.id, ffmpeg, logger: log, ringDir, spans: source.clipSpans }) : undefined;
    if (clips) clipRecorders.set(camera.id, clips);
    // A toured camera is analyzed once per revisit: the scorer must not take that gap for an outage.
    const scored = camera.tour ? { ...camera, intervalSec: Math.max(camera.intervalSec, camera.tour.revisitSec) } : camera;
    analyzers.set(camera.id, new CameraAnalyzer(scored, rules, queue, evidence, openStore, onChange, clips, sceneStore));
    if (check.enabled && burnThresholds.size > 0) {
      const burst = camera.violations.includes('burning') ? burstSourceFor(camera, mode, ffmpeg.path, ringDir, source.clipSpans) : async () => undefined;
      burningChecks.set(camera.id, new BurningCheck(check, burnThresholds, burst, log));
    }
    // The source logs its own state changes; the pipeline only records them.
    source.onStatus((status) => {
      status = { ...status, transport };
      opts.onStatus?.(status);
      if (status.state === 'failed' && mode === 'live' && !transport.explicit && transport.kind === 'native' && !camera.tour) {
        const offered = UNSUPPORTED_CODEC.exec(status.reason ?? '');
        if (offered) fallBack(camera, offered[1]!);
      }
      // A one-pass run reports a camera it cannot read and goes on; live runs keep retrying it.
      if (mode === 'once' && status.state === 'failed') {
        failures.set(camera.id, status);
        void source.stop();
      }
    });
    // One-pass runs must analyze every sampled frame; a source may hand over several at once (a burst
    // after its timestamps caught up), so they wait in line instead of replacing each other in the mailbox.
    source.onFrame((frame) => {
      opts.onFrame?.(frame.cameraId);
      const analyzed = mode === 'once' ? queueInLine(camera.id, frame) : mailbox.submit(frame);
      // An RTSP camera in once mode contributes one analyzed frame, then stops.
      if (mode === 'once' && !camera.url.startsWith('file://')) void analyzed.then((ok) => { if (ok) void source.stop(); });
      return analyzed;
    });
    sources.set(camera.id, source);
    configs.set(camera.id, camera);
    if (started) source.start();
  };

  /**
   * A camera left on the default transport whose video the in-process client cannot read (MJPEG, MPEG-4 …)
   * goes over to ffmpeg, which reads anything: the native source is removed and the camera added again.
   */
  const swaps = new Map<string, Promise<void>>();
  const cancelledSwaps = new Set<string>();
  const fallBack = (camera: CameraConfig, offered: string): void => {
    if (swaps.has(camera.id) || stopping) return;
    const choice: TransportChoice = { kind: 'ffmpeg', why: `default for rtsp://, but the camera offers ${offered}: the in-process client reads H.264 and H.265 only`, explicit: false, ...rtpOf(camera) };
    const swap = (async () => {
      await removeCamera(camera.id);
      // Removed from outside meanwhile (a lease lost, the pipeline stopping) or added again: leave it so.
      if (stopping || cancelledSwaps.has(camera.id) || sources.has(camera.id)) return;
      logger.warn({ camera: camera.id, transport: 'ffmpeg', rtp: choice.rtp, why: choice.why }, `camera ${camera.id}: going over to ${transportLabel(choice)} (${choice.why})`);
      addCamera(camera, choice);
    })()
      .catch((err: unknown) => logger.error({ err, camera: camera.id }, 'could not move the camera over to ffmpeg'))
      .finally(() => {
        swaps.delete(camera.id);
        cancelledSwaps.delete(camera.id);
      });
    swaps.set(camera.id, swap);
  };

  /** Stops a camera and waits until its last analyzed frame has been scored and published. */
  const removeCamera = async (cameraId: string): Promise<void> => {
    const source = sources.get(cameraId);
    if (!source) return;
    await source.stop();
    await analysis.settled(cameraId);
    analyzers.get(cameraId)?.saveScene();
    await clipRecorders.get(cameraId)?.close();
    await analyzers.get(cameraId)?.clipsSettled();
    clipRecorders.delete(cameraId);
    burningChecks.delete(cameraId);
    sources.delete(cameraId);
    analyzers.delete(cameraId);
    configs.delete(cameraId);
    failures.delete(cameraId);
    transports.delete(cameraId);
  };

  let started = false;
  for (const camera of cameras) addCamera(camera);

  // Timed for onBatch (the worker's budget); results pass admit (lease still safe) before they are scored.
  const detect = async (frames: Frame[]): Promise<Detections[]> => {
    const t0 = performance.now();
    const out = await detector.detect(frames);
    opts.onBatch?.(frames.length, performance.now() - t0);
    return out;
  };
  const analysis = runAnalysisLoop(mailbox, { name: model.name, maxBatch: model.batch, detect }, {
    stats,
    onResult: async (frame, detections) => {
      // A camera removed while its frame was being analyzed: its results go nowhere (the next owner re-analyzes).
      const analyzer = analyzers.get(frame.cameraId);
      if (!analyzer || (opts.admit && !opts.admit(frame))) return;
      const checked = (await burningChecks.get(frame.cameraId)?.verify(frame, detections)) ?? detections;
      opts.onAnalyzed?.(frame, checked);
      await analyzer.handle(frame, checked);
      // A toured camera with a candidate or an open event stays connected (pre- and post-roll) until it ends.
      sources.get(frame.cameraId)?.setHeld?.(analyzer.attention);
    },
    onError: (err, frames) => logger.error({ err, cameras: frames.map((f) => f.cameraId) }, 'analysis failed for these frames; continuing'),
  });
  const loopDone = analysis.done;
  started = true;
  for (const source of sources.values()) source.start();

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await Promise.all([...swaps.values()]);
      await Promise.all([...sources.values()].map((s) => s.stop()));
      mailbox.close();
      await loopDone;
      for (const a of analyzers.values()) a.saveScene();
      // Pending clips are cut with what the ring holds, and published, before the queue closes.
      await Promise.all([...clipRecorders.values()].map((c) => c.close()));
      await Promise.all([...analyzers.values()].map((a) => a.clipsSettled()));
      await tourRunner?.close();
      await decoderPool?.close();
      await detector.release?.();
    })());

  const done = (async () => {
    if (mode === 'once') {
      await Promise.all([...sources.values()].map((s) => s.ended));
      await Promise.all(lines.values());
      // Every frame was awaited through the mailbox, so once sources end the last results are in.
      await stop();
    } else {
      await loopDone;
    }
  })();

  return {
    model,
    loop: stats,
    done,
    statuses: () => [...sources.values()].map((s) => ({ ...s.status, transport: transports.get(s.cameraId) })),
    cameras: () =>
      [...configs.values()].map((c) => {
        const a = analyzers.get(c.id)!;
        const s = failures.get(c.id) ?? sources.get(c.id)!.status;
        return { cameraId: c.id, state: s.state, frames: a.counters.frames, opened: a.counters.opened, ended: a.counters.ended, reason: s.reason, transport: transports.get(c.id)! };
      }),
    events: () => [...recent.values()],
    addCamera: (camera) => addCamera(camera),
    removeCamera: async (cameraId) => {
      // A camera going over to ffmpeg stays removed when it is removed meanwhile.
      const swap = swaps.get(cameraId);
      if (swap) {
        cancelledSwaps.add(cameraId);
        await swap;
      }
      await removeCamera(cameraId);
    },
    cameraIds: () => [...sources.keys()],
    acceptAsNormal: (cameraId, box) => analyzers.get(cameraId)?.acceptAsNormal(box) ?? false,
    rereference: (cameraId) => analyzers.get(cameraId)?.rereference(),
    stop,
  };
}
