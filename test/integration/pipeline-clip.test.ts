import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load-config.js';
import { createDispatchQueue } from '../../src/dispatch/create-queue.js';
import type { DispatchMessage } from '../../src/contracts/dispatch-message.js';
import { createLogger } from '../../src/log/logger.js';
import { startPipeline } from '../../src/pipeline/pipeline.js';
import { fixtureVideo } from '../../support/fixture-video.js';
import { binsAsDumpingManifest } from '../support/test-model.js';

describe('pipeline, live: evidence clip', () => {
  let dir: string;
  let clip: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'patrol-clip-'));
    clip = join(dir, 'bin-standing.ts');
    execFileSync('ffmpeg', ['-loglevel', 'error', '-ss', '30', '-i', fixtureVideo('bin_present', 'ts'), '-t', '60', '-c', 'copy', clip]);
  }, 300_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('publishes the event, then an update carrying a playable MP4 clip with its sha256', async () => {
    const storageDir = join(dir, 'var');
    const config = parseConfig(
      `cameras:
  - id: clip-cam
    url: file://${clip}
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
    await queue.consume(async (m) => {
      got.push(m);
    });
    const pipeline = await startPipeline({ config, logger, queue, mode: 'live' });
    const deadline = Date.now() + 60_000;
    while (!got.some((m) => m.event.evidence.clip) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
    await pipeline.stop();
    await queue.close();

    const opened = got.filter((m) => m.kind === 'opened');
    expect(opened).toHaveLength(1);
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
    expect(probe.streams[0]!.codec_name).toBe('h264');
    // The camera had been live only a few seconds when the event opened, so the pre-roll is short; the post-roll is 10 s.
    expect(Number(probe.format.duration)).toBeGreaterThan(8);
  }, 120_000);
});
