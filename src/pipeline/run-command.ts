import type { NormalHereNotice } from '../contracts/scene-feedback.js';
import { applyNormalHere, rereferenceOnShift } from './scene-hooks.js';
import { mkdirSync } from 'node:fs';
import { loadConfig } from '../config/load-config.js';
import { createLogger } from '../log/logger.js';
import { warnWithoutHeapFloor } from './heap-floor.js';
import { createDispatchQueue } from '../dispatch/create-queue.js';
import { VIOLATION_LABELS, type ViolationType } from '../contracts/violation.js';
import { TRANSPORT_WIDTH, transportLabel } from '../contracts/camera-status.js';
import { startPipeline, type Pipeline } from './pipeline.js';
import { startReview, type ReviewHandle } from './start-review.js';
import { hostname } from 'node:os';
import { CameraStateTracker, syncAlerts } from '../fleet/camera-state.js';
import { Observability } from '../observe/observability.js';

export interface RunOptions {
  configPath: string;
  once: boolean;
  review: boolean;
}

/** `patrol run`: the whole product in one process — pipeline, dispatch queue and (optionally) review. */
export async function runCommand(opts: RunOptions): Promise<number> {
  const { config, file } = loadConfig(opts.configPath);
  const logger = createLogger({ level: config.log.level });
  mkdirSync(config.storage.dir, { recursive: true });
  logger.info({ config: file, cameras: config.cameras.length, storage: config.storage.dir }, 'starting patrol');
  warnWithoutHeapFloor(logger, config.cameras.length);
  const queue = createDispatchQueue({ redisUrl: config.queue.redisUrl, name: config.queue.name, storageDir: config.storage.dir, logger });

  let review: ReviewHandle | undefined;
  let pipeline: Pipeline | undefined;
  // Live runs are watched like fleet workers: metrics, camera health and /metrics /healthz /readyz on fleet.metricsPort.
  const observe = opts.once ? undefined : new Observability({ role: 'run', config, logger, queue });
  const shutdown = async (): Promise<void> => {
    await pipeline?.stop();
    await review?.close();
    await queue.close();
    await observe?.close();
  };
  try {
    // A one-pass run leaves its events in the durable queue; the next `patrol run` or `patrol serve` takes them.
    // The Cameras page: state since when, fps, health alerts — the same picture a fleet's workers publish.
    const tracker = new CameraStateTracker(`${hostname()}-${process.pid}`);
    // A reviewer's "normal here" goes straight to this process's scene models.
    const sceneFeedback = {
      normalHere: async (n: NormalHereNotice) => (applyNormalHere(pipeline, n) ? ('applied' as const) : ('not-analyzed' as const)),
    };
    if (opts.review && config.review.enabled && !opts.once) review = await startReview({ config, queue, logger, getCameraStatus: (id) => tracker.get(id), sceneFeedback });
    const startedAt = Date.now();
    await observe?.listen(false);
    const hooks = observe?.hooks;
    const onShift = rereferenceOnShift((id) => observe?.health.get(id)?.isRaised('shifted') ?? false, (id) => pipeline?.rereference(id));
    pipeline = await startPipeline({
      config,
      logger,
      queue,
      mode: opts.once ? 'once' : 'live',
      ...hooks,
      onStatus: (s) => {
        hooks?.onStatus(s);
        tracker.status(s);
      },
      onAnalyzed: (frame, detections) => {
        hooks?.onAnalyzed(frame, detections);
        tracker.analyzed(frame.cameraId);
        if (observe) syncAlerts(tracker, frame.cameraId, (check) => observe.health.get(frame.cameraId)?.isRaised(check) ?? false);
        onShift(frame.cameraId);
      },
    });
    observe?.setPipeline(pipeline, pipeline.model);

    if (opts.once) {
      await pipeline.done;
      printSummary(pipeline, Date.now() - startedAt);
      await shutdown();
      // Nothing could be analyzed at all: say so with the exit code too (a script must not read it as success).
      const cams = pipeline.cameras();
      return cams.length > 0 && cams.every((c) => c.state === 'failed') ? 2 : 0;
    }

    const p = pipeline;
    const progress = setInterval(() => {
      const cams = p.cameras();
      const live = cams.filter((c) => c.state === 'live').length;
      logger.info({ live, cameras: cams.length, framesAnalyzed: p.loop.framesAnalyzed, eventsOpened: cams.reduce((n, c) => n + c.opened, 0) }, `${live}/${cams.length} cameras live, ${p.loop.framesAnalyzed} frames analyzed`);
    }, 30_000);
    progress.unref();
    await new Promise<void>((resolve) => {
      const onSignal = (signal: NodeJS.Signals) => {
        logger.info({ signal }, 'shutting down: finishing in-flight frames, flushing events');
        resolve();
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
    });
    clearInterval(progress);
    await shutdown();
    return 0;
  } catch (err) {
    await shutdown().catch(() => undefined);
    throw err;
  }
}

function printSummary(p: Pipeline, wallMs: number): void {
  const cams = p.cameras();
  const byType = new Map<ViolationType, number>();
  const lines = [
    '',
    `Patrol — one pass over ${cams.length} camera(s) in ${(wallMs / 1000).toFixed(1)} s`,
    `model: ${p.model.name} v${p.model.version} (${p.model.modelPath}), input ${p.model.inputWidth}x${p.model.inputHeight}`,
    `frames analyzed: ${p.loop.framesAnalyzed} in ${p.loop.batches} batches, inference ${(p.loop.inferenceMs / Math.max(1, p.loop.framesAnalyzed)).toFixed(1)} ms/frame`,
    '',
    `camera                 frames  events  ${'transport'.padEnd(TRANSPORT_WIDTH)}  state`,
  ];
  for (const c of cams) lines.push(`${c.cameraId.padEnd(22)} ${String(c.frames).padStart(6)}  ${String(c.opened).padStart(6)}  ${transportLabel(c.transport).padEnd(TRANSPORT_WIDTH)}  ${c.state}${c.reason ? ` (${c.reason})` : ''}`);
  for (const e of p.events()) byType.set(e.type, (byType.get(e.type) ?? 0) + 1);
  lines.push('', 'events by type:');
  for (const type of ['stall', 'dumping', 'burning'] as const) lines.push(`  ${type.padEnd(8)} ${VIOLATION_LABELS[type].zh}  ${byType.get(type) ?? 0}`);
  console.log(lines.join('\n'));
}
