import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import type { Detections } from '../../src/contracts/detections.js';
import type { Frame } from '../../src/contracts/frame.js';
import type { SourceStatus } from '../../src/contracts/camera-status.js';
import { createDispatchQueue } from '../../src/dispatch/create-queue.js';
import { createLogger } from '../../src/log/logger.js';
import { startPipeline } from '../../src/pipeline/pipeline.js';
import { TestRtspServer } from '../../support/rtsp.js';
import { testClip } from '../support/clip.js';
import { PATROL_DET_MANIFEST } from '../support/test-model.js';
import { binStandingClip, expectClipUpdate, runUntilClip } from '../support/pipeline-clip.js';

describe('pipeline, live, with a native camera (the default for rtsp://) and an ffmpeg one side by side', () => {
  let dir: string;
  let server: TestRtspServer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'patrol-native-pipe-'));
    server = await TestRtspServer.start({ mounts: ['cam1', 'cam2'], clip: (await testClip()).ts });
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('analyzes frames of both cameras with the shipped detector, and stops cleanly (the pool included)', async () => {
    const storageDir = join(dir, 'var');
    const config = parseConfig(
      `cameras:
  - id: native-cam
    url: ${server.url('cam1')}
    intervalSec: 2
    scene: false
  - id: ffmpeg-cam
    url: ${server.url('cam2')}
    transport: ffmpeg
    intervalSec: 2
    scene: false
detector:
  manifest: ${PATROL_DET_MANIFEST}
storage:
  dir: ${storageDir}
`,
      join(dir, 'native.yaml'),
      {},
    );
    const logger = createLogger({ level: 'warn', pretty: false });
    const queue = createDispatchQueue({ name: 'q', storageDir, logger });
    const analyzed: Frame[] = [];
    const statuses: SourceStatus[] = [];
    const pipeline = await startPipeline({
      config,
      logger,
      queue,
      mode: 'live',
      onStatus: (s) => void statuses.push(s),
      onAnalyzed: (frame: Frame, _d: Detections) => void analyzed.push(frame),
    });
    const deadline = Date.now() + 45_000;
    const count = (id: string): number => analyzed.filter((f) => f.cameraId === id).length;
    while ((count('native-cam') < 3 || count('ffmpeg-cam') < 1) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    await pipeline.stop();
    await queue.close();
    expect(count('native-cam'), JSON.stringify(statuses)).toBeGreaterThanOrEqual(3);
    expect(count('ffmpeg-cam')).toBeGreaterThanOrEqual(1);
    const native = analyzed.filter((f) => f.cameraId === 'native-cam');
    for (const f of native) expect([f.width, f.height, f.sourceWidth, f.sourceHeight]).toEqual([pipeline.model.inputWidth, pipeline.model.inputHeight, 704, 576]);
    expect(pipeline.cameras().find((c) => c.cameraId === 'native-cam')?.frames).toBeGreaterThanOrEqual(3);
    expect(statuses.filter((s) => s.cameraId === 'native-cam').map((s) => s.state)).toContain('live');
    expect(statuses.find((s) => s.cameraId === 'native-cam')?.transport).toEqual({ kind: 'native', why: 'default for rtsp:// with keyframe decode', explicit: false, rtp: 'tcp' });
    expect(statuses.find((s) => s.cameraId === 'ffmpeg-cam')?.transport).toEqual({ kind: 'ffmpeg', why: 'transport: ffmpeg in the config', explicit: true, rtp: 'tcp' });
    expect(pipeline.cameras().map((c) => [c.cameraId, c.transport.kind])).toEqual([['native-cam', 'native'], ['ffmpeg-cam', 'ffmpeg']]);
  }, 90_000);

  it('a native camera\'s event gets its clip: the event goes out, then an update with a playable MP4 cut from the packet ring', async () => {
    const bins = await TestRtspServer.start({ mounts: ['bins'], clip: binStandingClip(dir) });
    try {
      const storageDir = join(dir, 'var-clip');
      const got = await runUntilClip(dir, storageDir, `id: native-bins\n    url: ${bins.url('bins')}`, 75_000);
      const probe = expectClipUpdate(got, storageDir);
      expect(probe.codec).toBe('h264');
      // Pre-roll from the keyframe before (the camera was live a few seconds only), post-roll 10 s.
      expect(probe.duration).toBeGreaterThan(10);
    } finally {
      await bins.stop();
    }
  }, 150_000);
});
