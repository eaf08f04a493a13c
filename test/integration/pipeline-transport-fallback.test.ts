import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import type { SourceStatus } from '../../src/contracts/camera-status.js';
import { resolveFfmpeg } from '../../src/decode/ffmpeg-path.js';
import { createDispatchQueue } from '../../src/dispatch/create-queue.js';
import { createLogger } from '../../src/log/logger.js';
import { startPipeline } from '../../src/pipeline/pipeline.js';
import { TestRtspServer } from '../../support/rtsp.js';
import { PATROL_DET_MANIFEST } from '../support/test-model.js';

/**
 * An rtsp:// camera without a transport gets the in-process client, which reads H.264 and H.265 only. A camera
 * that sends MPEG-4 Part 2 (old encoders, some NVR substreams) must not stay failed for want of a config line:
 * it goes over to ffmpeg and is analyzed, and its status says why. One pinned to native keeps its failure.
 */
describe('a camera on the default transport whose codec the in-process client cannot read', () => {
  let dir: string;
  let server: TestRtspServer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'patrol-fallback-'));
    const clip = join(dir, 'mpeg4.ts');
    const source = ['-f', 'lavfi', '-i', 'testsrc2=size=704x576:rate=25', '-t', '10'];
    execFileSync(resolveFfmpeg().path, ['-hide_banner', '-loglevel', 'error', '-y', ...source, '-c:v', 'mpeg4', '-g', '50', '-bf', '0', '-q:v', '5', '-f', 'mpegts', clip]);
    server = await TestRtspServer.start({ mounts: ['m4'], clip, codec: 'mpeg4' });
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('goes over to ffmpeg and is analyzed; a camera pinned to native stays failed with the fix in its reason', async () => {
    const storageDir = join(dir, 'var');
    const config = parseConfig(
      `cameras:
  - { id: mpeg4-cam, url: '${server.url('m4')}', intervalSec: 2, scene: false }
  - { id: pinned-native, url: '${server.url('m4')}', transport: native, intervalSec: 2, scene: false }
detector:
  manifest: ${PATROL_DET_MANIFEST}
storage:
  dir: ${storageDir}
`,
      join(dir, 'fallback.yaml'),
      {},
    );
    const logger = createLogger({ level: 'warn', pretty: false });
    const queue = createDispatchQueue({ name: 'q', storageDir, logger });
    const statuses: SourceStatus[] = [];
    const analyzed: string[] = [];
    const pipeline = await startPipeline({ config, logger, queue, mode: 'live', onStatus: (s) => void statuses.push(s), onAnalyzed: (f) => void analyzed.push(f.cameraId) });
    try {
      const deadline = Date.now() + 60_000;
      const pinnedFailed = () => statuses.some((s) => s.cameraId === 'pinned-native' && s.state === 'failed');
      while ((!analyzed.includes('mpeg4-cam') || !pinnedFailed()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
      const trail = JSON.stringify(statuses, null, 1);
      expect(analyzed, trail).toContain('mpeg4-cam');

      const of = (id: string) => statuses.filter((s) => s.cameraId === id);
      const failed = of('mpeg4-cam').find((s) => s.state === 'failed');
      expect(failed?.reason, trail).toMatch(/^unsupported video: .*offered: MP4V-ES/);
      expect(failed?.transport?.kind).toBe('native');
      const after = of('mpeg4-cam').slice(of('mpeg4-cam').indexOf(failed!) + 1);
      expect(after.find((s) => s.state === 'live')?.transport, trail).toEqual({
        kind: 'ffmpeg',
        why: 'default for rtsp://, but the camera offers MP4V-ES: the in-process client reads H.264 and H.265 only',
        explicit: false,
        rtp: 'tcp',
      });
      expect(pipeline.cameras().find((c) => c.cameraId === 'mpeg4-cam')?.transport.kind).toBe('ffmpeg');

      // Pinned to native: failed, told how to fix it, never moved.
      expect(pinnedFailed(), trail).toBe(true);
      expect(of('pinned-native').find((s) => s.state === 'failed')!.reason).toMatch(/use transport: ffmpeg/);
      expect(of('pinned-native').every((s) => s.transport?.kind === 'native')).toBe(true);
      expect(analyzed).not.toContain('pinned-native');
    } finally {
      await pipeline.stop();
      await queue.close();
    }
  }, 120_000);
});
