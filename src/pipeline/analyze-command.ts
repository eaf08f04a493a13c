import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadConfig } from '../config/load-config.js';
import { ConfigSchema, type CameraConfig, type PatrolConfig } from '../config/schema.js';
import { loadManifest } from '../detect/load-manifest.js';
import type { ModelManifest } from '../detect/manifest.js';
import type { Detections } from '../contracts/detections.js';
import { PatrolError } from '../errors.js';
import { createLogger } from '../log/logger.js';
import { createDispatchQueue } from '../dispatch/create-queue.js';
import type { EventChange } from '../contracts/event.js';
import type { ViolationType } from '../contracts/violation.js';
import { resolveFfmpeg } from '../decode/ffmpeg-path.js';
import { probeKeyframes } from '../decode/keyframe-gap.js';
import { startPipeline } from './pipeline.js';

export interface AnalyzeOptions {
  video: string;
  configPath: string;
  /** full-frame: the whole picture is one zone; config: the first configured camera's zones. */
  zones: 'full-frame' | 'config';
  intervalSec?: number;
  /** Violations to check; default: every violation the configured model can report. */
  violations?: ViolationType[];
}

/** The violations a model can raise: those its classes feed, in the canonical order. */
export function modelViolations(manifest: Pick<ModelManifest, 'classes'>): ViolationType[] {
  const fed = new Set(manifest.classes.flatMap((c) => (c.violation ? [c.violation] : [])));
  return (['stall', 'dumping', 'burning'] as const).filter((v) => fed.has(v));
}

/**
 * The config's detector and rules, applied to one file instead of its cameras. `violations` are the ones to
 * check: the caller decides (the model's, or the user's --violations); the first camera only lends its zones
 * (with --zones config), interval and decode settings, never its violation list, which belongs to that camera.
 */
export function analyzeConfig(
  base: PatrolConfig,
  videoPath: string,
  opts: Pick<AnalyzeOptions, 'zones' | 'intervalSec'> & { violations: ViolationType[] },
  storageDir: string,
): PatrolConfig {
  const template = base.cameras[0];
  const zones = opts.zones === 'config' ? (template?.zones ?? []) : [];
  const camera: CameraConfig = ConfigSchema.shape.cameras.element.parse({
    id: 'analyze',
    url: pathToFileURL(videoPath).href,
    loop: false,
    violations: opts.violations,
    zones,
    intervalSec: opts.intervalSec ?? template?.intervalSec ?? 5,
    decode: template?.decode,
  });
  return { ...base, cameras: [camera], storage: { dir: storageDir }, review: { ...base.review, enabled: false } };
}

export interface AnalyzeResult {
  video: string;
  model: string;
  violations: ViolationType[];
  intervalSec: number;
  /** How frames were decoded: keyframes only, or all frames sampled at the interval (keyframes too sparse). */
  decode: 'keyframe' | 'interval';
  /** Longest keyframe gap of the file, when probed. */
  keyframeGapSec?: number;
  framesAnalyzed: number;
  /** Event opened/ended changes in order (updates left out). */
  changes: EventChange[];
  /** Every analyzed frame's file time (seconds) and detections, when asked for (bench timelines). */
  frames?: { timeSec: number; detections: Detections }[];
  storageDir: string;
  seconds: number;
  state: string;
  reason?: string;
}

/**
 * The production pipeline over one file, as fast as the machine allows, with file timestamps (PTS 0 = time 0).
 * Shared by `patrol analyze` and `bench:real`, so the benchmark measures exactly what a user runs.
 */
export async function analyzeVideo(
  opts: AnalyzeOptions & { keepFrames?: boolean; onChange?: (change: EventChange, storageDir: string) => void },
): Promise<AnalyzeResult> {
  const video = resolve(opts.video);
  if (!existsSync(video)) throw new PatrolError(`Video file not found: ${video}`, 'Give the path of an existing video file (any format ffmpeg reads: .mp4, .ts, .mkv, .avi …).');
  const { config: base } = loadConfig(opts.configPath);
  const { manifest } = await loadManifest(base.detector.manifest, { verifySha256: false });
  const canReport = modelViolations(manifest);
  const violations = opts.violations ?? canReport;
  const unknown = violations.filter((v) => !canReport.includes(v));
  if (unknown.length > 0) {
    throw new PatrolError(
      `--violations ${unknown.join(',')}: the model ${manifest.name} has no class that feeds ${unknown.join(' or ')}.`,
      `Check one of ${canReport.join(', ')}, or configure a detector that reports it.`,
    );
  }
  if (violations.length === 0) throw new PatrolError(`The model ${manifest.name} feeds no violation.`, 'Configure a detector whose manifest maps classes to violations.');
  const storageDir = mkdtempSync(join(tmpdir(), 'patrol-analyze-'));
  let config = analyzeConfig(base, video, { ...opts, violations }, storageDir);
  // Keyframe-only decode sees one frame per GOP; files with keyframes further apart than the interval (8 s is
  // common) would be analyzed a few times only, so decode all frames and sample instead.
  const cam0 = config.cameras[0]!;
  let keyframeGapSec: number | undefined;
  if (cam0.decode === 'keyframe') {
    keyframeGapSec = (await probeKeyframes(resolveFfmpeg().path, video).catch(() => undefined))?.maxGapSec;
    if (keyframeGapSec !== undefined && keyframeGapSec > cam0.intervalSec * 1.5) config = { ...config, cameras: [{ ...cam0, decode: 'interval' }] };
  }
  const logger = createLogger({ level: config.log.level === 'info' ? 'warn' : config.log.level, destination: process.stderr, pretty: false });
  const queue = createDispatchQueue({ name: 'analyze', storageDir, logger });
  const started = Date.now();
  const changes: EventChange[] = [];
  const frames: { timeSec: number; detections: Detections }[] | undefined = opts.keepFrames ? [] : undefined;
  const pipeline = await startPipeline({
    config,
    logger,
    queue,
    mode: 'once',
    startTimeMs: 0,
    onAnalyzed: frames ? (frame, detections) => frames.push({ timeSec: frame.timestamp / 1000, detections }) : undefined,
    onChange: (change) => {
      if (change.kind === 'updated') return;
      changes.push(change);
      opts.onChange?.(change, storageDir);
    },
  });
  await pipeline.done;
  await queue.close();
  const cam = pipeline.cameras()[0];
  return {
    video,
    model: pipeline.model.name,
    violations,
    intervalSec: config.cameras[0]!.intervalSec,
    decode: config.cameras[0]!.decode,
    keyframeGapSec,
    framesAnalyzed: pipeline.loop.framesAnalyzed,
    changes,
    frames,
    storageDir,
    seconds: (Date.now() - started) / 1000,
    state: cam?.state ?? 'unknown',
    reason: cam?.reason,
  };
}

/**
 * `patrol analyze VIDEO`: events go to stdout as JSON lines (logs and the summary to stderr), so the output can be
 * piped into jq.
 */
export async function analyzeCommand(opts: AnalyzeOptions): Promise<number> {
  const r = await analyzeVideo({
    ...opts,
    onChange: (change, storageDir) => {
      const e = change.event;
      process.stdout.write(`${JSON.stringify({ change: change.kind, id: e.id, type: e.type, zone: e.zoneId, startedSec: e.startedAt / 1000, confirmedSec: e.confirmedAt / 1000, lastSeenSec: e.lastSeenAt / 1000, endedSec: e.endedAt === null ? null : e.endedAt / 1000, peakScore: Number(e.peakScore.toFixed(3)), boxes: e.bestBoxes.length, labels: [...new Set(e.bestBoxes.map((b) => b.label))], snapshot: e.evidence.snapshot ? join(storageDir, e.evidence.snapshot) : undefined })}\n`);
    },
  });
  const opened = r.changes.filter((c) => c.kind === 'opened').length;
  const how = r.decode === 'interval' && r.keyframeGapSec !== undefined ? ` (keyframes up to ${r.keyframeGapSec.toFixed(1)} s apart: all frames decoded, one per ${r.intervalSec} s)` : '';
  process.stderr.write(`analyzed ${r.framesAnalyzed} frames of ${r.video}${how} in ${r.seconds.toFixed(1)} s with ${r.model}, checking ${r.violations.join(', ')}; ${opened} event(s); evidence in ${r.storageDir}\n`);
  if (r.state === 'failed') throw new PatrolError(`Could not read ${r.video}: ${r.reason ?? 'ffmpeg failed'}`, 'Check that the file is a video ffmpeg can decode: ffprobe FILE.');
  return 0;
}
