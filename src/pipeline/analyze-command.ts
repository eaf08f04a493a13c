import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadConfig } from '../config/load-config.js';
import { ConfigSchema, type CameraConfig, type PatrolConfig } from '../config/schema.js';
import { PatrolError } from '../errors.js';
import { createLogger } from '../log/logger.js';
import { createDispatchQueue } from '../dispatch/create-queue.js';
import { startPipeline } from './pipeline.js';

export interface AnalyzeOptions {
  video: string;
  configPath: string;
  /** full-frame: the whole picture is one zone; config: the first configured camera's zones. */
  zones: 'full-frame' | 'config';
  intervalSec?: number;
}

/** The config's detector and rules, applied to one file instead of its cameras. */
export function analyzeConfig(base: PatrolConfig, videoPath: string, opts: Pick<AnalyzeOptions, 'zones' | 'intervalSec'>, storageDir: string): PatrolConfig {
  const template = base.cameras[0];
  const camera: CameraConfig = ConfigSchema.shape.cameras.element.parse({
    id: 'analyze',
    url: pathToFileURL(videoPath).href,
    loop: false,
    violations: template?.violations,
    zones: opts.zones === 'config' ? (template?.zones ?? []) : [],
    intervalSec: opts.intervalSec ?? template?.intervalSec ?? 5,
    decode: template?.decode,
  });
  return { ...base, cameras: [camera], storage: { dir: storageDir }, review: { ...base.review, enabled: false } };
}

/**
 * `patrol analyze VIDEO`: the production pipeline over one file, as fast as the machine allows, with file
 * timestamps. Events go to stdout as JSON lines (logs go to stderr), so the output can be piped into jq.
 */
export async function analyzeCommand(opts: AnalyzeOptions): Promise<number> {
  const video = resolve(opts.video);
  if (!existsSync(video)) throw new PatrolError(`Video file not found: ${video}`, 'Give the path of an existing video file (any format ffmpeg reads: .mp4, .ts, .mkv, .avi …).');
  const { config: base } = loadConfig(opts.configPath);
  const storageDir = mkdtempSync(join(tmpdir(), 'patrol-analyze-'));
  const config = analyzeConfig(base, video, opts, storageDir);
  const logger = createLogger({ level: config.log.level === 'info' ? 'warn' : config.log.level, destination: process.stderr, pretty: false });
  const queue = createDispatchQueue({ name: 'analyze', storageDir, logger });
  const started = Date.now();
  const pipeline = await startPipeline({
    config,
    logger,
    queue,
    mode: 'once',
    startTimeMs: 0,
    onChange: (change) => {
      if (change.kind === 'updated') return;
      const e = change.event;
      process.stdout.write(`${JSON.stringify({ change: change.kind, id: e.id, type: e.type, zone: e.zoneId, startedSec: e.startedAt / 1000, confirmedSec: e.confirmedAt / 1000, lastSeenSec: e.lastSeenAt / 1000, endedSec: e.endedAt === null ? null : e.endedAt / 1000, peakScore: Number(e.peakScore.toFixed(3)), boxes: e.bestBoxes.length, labels: [...new Set(e.bestBoxes.map((b) => b.label))], snapshot: e.evidence.snapshot ? join(storageDir, e.evidence.snapshot) : undefined })}\n`);
    },
  });
  await pipeline.done;
  await queue.close();
  const cam = pipeline.cameras()[0];
  process.stderr.write(`analyzed ${pipeline.loop.framesAnalyzed} frames of ${video} in ${((Date.now() - started) / 1000).toFixed(1)} s with ${pipeline.model.name}; ${cam?.opened ?? 0} event(s); evidence in ${storageDir}\n`);
  if (cam && cam.state === 'failed') throw new PatrolError(`Could not read ${video}: ${cam.reason ?? 'ffmpeg failed'}`, 'Check that the file is a video ffmpeg can decode: ffprobe FILE.');
  return 0;
}
