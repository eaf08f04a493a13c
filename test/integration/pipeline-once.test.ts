import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load-config.js';
import { createDispatchQueue } from '../../src/dispatch/create-queue.js';
import type { DispatchMessage } from '../../src/contracts/dispatch-message.js';
import { createLogger } from '../../src/log/logger.js';
import { startPipeline } from '../../src/pipeline/pipeline.js';
import { fixtureVideo } from '../../support/fixture-video.js';
import { binsAsDumpingManifest } from '../support/test-model.js';

/** patrol-det sees the scene's bin (mapped to dumping, see test-model.ts); the whole picture is the zone so the test does not depend on zone drawing. */
function configFor(video: string, storageDir: string, extraCamera = '') {
  return parseConfig(
    `
cameras:
  - id: bin-cam
    url: file://${video}
    violations: [dumping]
    scene: false
    intervalSec: 2
${extraCamera}
detector:
  manifest: ${binsAsDumpingManifest()}
rules:
  dumping: { dwellSec: 20, hits: 3, window: 5, endAfterSec: 30, cooldownSec: 60 }
storage:
  dir: ${storageDir}
`,
    join(storageDir, 'test.yaml'),
    {},
  );
}

describe('pipeline, one pass over a fixture video', () => {
  let storageDir: string;
  let video: string;
  const logger = createLogger({ level: 'warn', pretty: false });

  beforeAll(() => {
    video = fixtureVideo('bin_present');
    storageDir = mkdtempSync(join(tmpdir(), 'patrol-once-'));
  }, 300_000);
  afterAll(() => rmSync(storageDir, { recursive: true, force: true }));

  it('turns the fixture into one dumping event with evidence, published once even when run twice', async () => {
    const config = configFor(video, storageDir, `  - id: missing-cam\n    url: file://${join(storageDir, 'no-such-file.mp4')}`);
    const run = async () => {
      const queue = createDispatchQueue({ name: 'test', storageDir, logger });
      const pipeline = await startPipeline({ config, logger, queue, mode: 'once', startTimeMs: Date.UTC(2026, 0, 1) });
      await pipeline.done;
      const depth = await queue.depth();
      await queue.close();
      return { pipeline, depth };
    };

    const first = await run();
    const cams = Object.fromEntries(first.pipeline.cameras().map((c) => [c.cameraId, c]));
    expect(first.pipeline.model.name).toBe('patrol-det-bins-as-dumping');
    // 90 s of video at one frame per 2 s.
    expect(cams['bin-cam']!.frames).toBeGreaterThan(40);
    expect(cams['bin-cam']!.opened).toBe(1);
    // The unreadable camera is reported, and did not stop the other one.
    expect(cams['missing-cam']!.state).toBe('failed');
    expect(cams['missing-cam']!.reason).toMatch(/no-such-file|not found|No such file/i);

    const [event] = first.pipeline.events();
    expect(event!.type).toBe('dumping');
    // Dwell is measured in video time: the event is raised ≥ 20 s after the bin was first seen.
    expect(event!.confirmedAt - event!.startedAt).toBeGreaterThanOrEqual(20_000);
    expect(event!.bestBoxes.some((b) => b.violation === 'dumping')).toBe(true);
    for (const name of ['snapshot', 'firstSeen', 'confirmed'] as const) {
      const rel = event!.evidence[name];
      expect(rel, name).toBeDefined();
      const sha = createHash('sha256').update(readFileSync(join(storageDir, rel!))).digest('hex');
      expect(event!.evidence.sha256[rel!]).toBe(sha);
    }

    // Same video, same start time → same event ids → the durable queue holds nothing new.
    const second = await run();
    expect(second.pipeline.cameras()[0]!.opened).toBe(1);
    expect(second.depth).toBe(first.depth);

    const queue = createDispatchQueue({ name: 'test', storageDir, logger });
    const got: DispatchMessage[] = [];
    await queue.consume(async (m) => {
      got.push(m);
    });
    const deadline = Date.now() + 10_000;
    while ((await queue.depth()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await queue.close();
    expect(got.filter((m) => m.kind === 'opened').map((m) => m.event.id)).toEqual([event!.id]);
  }, 240_000);
});
