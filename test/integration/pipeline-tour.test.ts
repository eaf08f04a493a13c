import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import type { SourceStatus, TourVisitReport } from '../../src/contracts/camera-status.js';
import type { DispatchMessage } from '../../src/contracts/dispatch-message.js';
import type { Frame } from '../../src/contracts/frame.js';
import { createDispatchQueue } from '../../src/dispatch/create-queue.js';
import { createLogger } from '../../src/log/logger.js';
import { startPipeline } from '../../src/pipeline/pipeline.js';
import { fixtureVideo } from '../../support/fixture-video.js';
import { TestRtspServer } from '../../support/rtsp.js';
import { testClip } from '../support/clip.js';
import { binsAsDumpingManifest } from '../support/test-model.js';

describe('pipeline, live, toured cameras (cameras[].tour)', () => {
  let dir: string;
  let server: TestRtspServer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'patrol-tour-pipe-'));
    // The bin scene (a standing incident for the bins-as-dumping model) and an empty test picture.
    const bin = join(dir, 'bin-standing.ts');
    execFileSync('ffmpeg', ['-loglevel', 'error', '-ss', '30', '-i', fixtureVideo('bin_present', 'ts'), '-t', '60', '-map', '0:v:0', '-c', 'copy', bin]);
    server = await TestRtspServer.start({ mounts: ['bin'], clip: bin });
    const quiet = await TestRtspServer.start({ mounts: ['quiet'], clip: (await testClip()).ts });
    quietServer = quiet;
  }, 300_000);
  let quietServer: TestRtspServer | undefined;
  afterAll(async () => {
    await server?.stop();
    await quietServer?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('visits both cameras; the one with a candidate is held open and raises the event, the quiet one stays on the tour', async () => {
    const storageDir = join(dir, 'var');
    const config = parseConfig(
      `cameras:
  - id: tour-bin
    url: ${server.url('bin')}
    violations: [dumping]
    scene: false
    intervalSec: 1
    tour: { revisitSec: 4 }
  - id: tour-quiet
    url: ${quietServer!.url('quiet')}
    transport: native
    violations: [dumping]
    scene: false
    intervalSec: 1
    tour: { revisitSec: 4 }
detector:
  manifest: ${binsAsDumpingManifest()}
rules:
  dumping: { dwellSec: 3, hits: 2, window: 3, endAfterSec: 60, cooldownSec: 60 }
storage:
  dir: ${storageDir}
tour:
  maxVisits: 1
`,
      join(dir, 'tour.yaml'),
      {},
    );
    const logger = createLogger({ level: 'warn', pretty: false });
    const queue = createDispatchQueue({ name: 'q', storageDir, logger });
    const got: DispatchMessage[] = [];
    await queue.consume(async (m) => void got.push(m));
    const analyzed: Frame[] = [];
    const statuses: SourceStatus[] = [];
    const visits: TourVisitReport[] = [];
    const pipeline = await startPipeline({
      config,
      logger,
      queue,
      mode: 'live',
      clips: false,
      onStatus: (s) => void statuses.push(s),
      onAnalyzed: (f) => void analyzed.push(f),
      onTourVisit: (v) => void visits.push(v),
    });
    try {
      const deadline = Date.now() + 60_000;
      while (!got.some((m) => m.kind === 'opened') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
      const quietAt = analyzed.filter((f) => f.cameraId === 'tour-quiet').length;
      // The quiet camera keeps being visited while the other is held.
      const more = Date.now() + 20_000;
      while (analyzed.filter((f) => f.cameraId === 'tour-quiet').length < quietAt + 2 && Date.now() < more) await new Promise((r) => setTimeout(r, 250));
      const bin = pipeline.statuses().find((s) => s.cameraId === 'tour-bin')!;
      const quiet = pipeline.statuses().find((s) => s.cameraId === 'tour-quiet')!;

      const opened = got.filter((m) => m.kind === 'opened');
      expect(opened.map((m) => m.event.cameraId)).toEqual(['tour-bin']);
      expect(opened[0]!.event.type).toBe('dumping');
      // Seen first on a visit, then held open: the camera's own session, no more visits while the event is open.
      expect(visits.some((v) => v.cameraId === 'tour-bin' && v.ok)).toBe(true);
      expect(statuses.some((s) => s.cameraId === 'tour-bin' && s.tour?.held === true)).toBe(true);
      expect(bin.state).toBe('live');
      expect(bin.tour?.held).toBe(true);
      const binVisits = visits.filter((v) => v.cameraId === 'tour-bin').length;
      expect(quiet.tour).toMatchObject({ held: false, revisitSec: 4 });
      expect(quiet.tour!.visits).toBeGreaterThanOrEqual(2);
      expect(analyzed.filter((f) => f.cameraId === 'tour-quiet').length).toBeGreaterThanOrEqual(quietAt + 2);
      expect(visits.filter((v) => v.cameraId === 'tour-bin').length).toBe(binVisits);
      // Held open, the camera is analyzed every intervalSec (1 s; keyframes every 2 s), not every revisitSec.
      const binFrames = analyzed.filter((f) => f.cameraId === 'tour-bin');
      const lastGaps = binFrames.slice(-4).slice(1).map((f, i, a) => f.timestamp - (i === 0 ? binFrames.at(-4)! : a[i - 1]!).timestamp);
      for (const g of lastGaps) expect(g).toBeLessThan(3_000);
    } finally {
      await pipeline.stop();
      await queue.close();
    }
  }, 150_000);
});
