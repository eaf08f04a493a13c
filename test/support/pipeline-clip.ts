import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import type { DispatchMessage } from '../../src/contracts/dispatch-message.js';
import { createDispatchQueue } from '../../src/dispatch/create-queue.js';
import { createLogger } from '../../src/log/logger.js';
import { startPipeline } from '../../src/pipeline/pipeline.js';
import { fixtureVideo } from '../../support/fixture-video.js';
import { binsAsDumpingManifest } from './test-model.js';

/** 60 s of the bin_present fixture from 30 s on (the bin stands from the start), written to `dir`. */
export function binStandingClip(dir: string): string {
  const clip = join(dir, 'bin-standing.ts');
  execFileSync('ffmpeg', ['-loglevel', 'error', '-ss', '30', '-i', fixtureVideo('bin_present', 'ts'), '-t', '60', '-c', 'copy', clip]);
  return clip;
}

/**
 * Runs a live pipeline on one camera that sees the standing bin (`camera`: its YAML lines after `- `, with
 * id and url) until an update carries the clip, or `timeoutMs`; returns every message dispatched.
 */
export async function runUntilClip(dir: string, storageDir: string, camera: string, timeoutMs: number): Promise<DispatchMessage[]> {
  const config = parseConfig(
    `cameras:
  - ${camera}
    violations: [dumping]
    scene: false
    intervalSec: 1
detector:
  manifest: ${binsAsDumpingManifest()}
rules:
  dumping: { dwellSec: 3, hits: 2, window: 3, endAfterSec: 60, cooldownSec: 60 }
storage:
  dir: ${storageDir}
`,
    join(dir, 'clip.yaml'),
    {},
  );
  const logger = createLogger({ level: 'warn', pretty: false });
  const queue = createDispatchQueue({ name: 'q', storageDir, logger });
  const got: DispatchMessage[] = [];
  await queue.consume(async (m) => void got.push(m));
  const pipeline = await startPipeline({ config, logger, queue, mode: 'live' });
  const deadline = Date.now() + timeoutMs;
  while (!got.some((m) => m.event.evidence.clip) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
  await pipeline.stop();
  await queue.close();
  return got;
}

/** One event opened (with its snapshot), then an update of it carrying an MP4 clip whose sha256 matches; what ffprobe says of it. */
export function expectClipUpdate(got: DispatchMessage[], storageDir: string): { codec: string; duration: number } {
  const opened = got.filter((m) => m.kind === 'opened');
  expect(opened).toHaveLength(1);
  expect(opened[0]!.event.evidence.snapshot).toBeDefined();
  const withClip = got.find((m) => m.event.evidence.clip);
  expect(withClip, 'an update with the clip').toBeDefined();
  expect(withClip!.kind).toBe('updated');
  expect(withClip!.event.id).toBe(opened[0]!.event.id);
  const rel = withClip!.event.evidence.clip!;
  const file = join(storageDir, rel);
  expect(createHash('sha256').update(readFileSync(file)).digest('hex')).toBe(withClip!.event.evidence.sha256[rel]);
  const probe = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration,format_name:stream=codec_name', '-of', 'json', file], { encoding: 'utf8' })) as {
    format: { duration: string; format_name: string };
    streams: Array<{ codec_name: string }>;
  };
  expect(probe.format.format_name).toContain('mp4');
  return { codec: probe.streams[0]!.codec_name, duration: Number(probe.format.duration) };
}
