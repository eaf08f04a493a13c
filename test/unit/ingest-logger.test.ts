import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { FfmpegBinary } from '../../src/decode/ffmpeg-path.js';
import { createCameraSource } from '../../src/ingest/camera-source.js';
import type { Log } from '../../src/log/log.js';
import { createLogger } from '../../src/log/logger.js';

/** Never spawned: the file is missing, so the source fails before starting ffmpeg. */
const NO_FFMPEG: FfmpegBinary = {
  path: '/nonexistent/ffmpeg',
  origin: 'explicit',
  version: 'ffmpeg version test',
  features: { fpsMode: true, rtspSocketTimeout: 'timeout', showinfoChecksumOption: true },
};

describe('camera source logging', () => {
  it('takes the project pino logger as it is and logs state changes as JSON with the camera id', async () => {
    const out = new PassThrough();
    const lines: string[] = [];
    out.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)));
    const logger: Log = createLogger({ destination: out, pretty: false, level: 'info' });
    const source = createCameraSource(
      { id: 'gate-3', url: 'file://missing/clip.ts', loop: true, intervalSec: 5, decode: 'keyframe' },
      { width: 416, height: 416, pixelFormat: 'rgb24', logger, ffmpeg: NO_FFMPEG, baseDir: '/srv' },
    );
    source.start();
    await source.stop();
    await new Promise((r) => setImmediate(r));
    const warn = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.state === 'failed');
    expect(warn).toMatchObject({ level: 40, cameraId: 'gate-3', attempt: 1 });
    expect(String(warn?.reason)).toContain('/srv/missing/clip.ts');
    expect(String(warn?.msg)).toMatch(/^camera gate-3 failed: file not found/);
  });

  it('starts nothing and reports stopped when stopped before start', async () => {
    const source = createCameraSource(
      { id: 'idle', url: 'rtsp://u:p@10.0.0.1/x', loop: true, intervalSec: 5, decode: 'keyframe' },
      { width: 416, height: 416, pixelFormat: 'rgb24', ffmpeg: NO_FFMPEG },
    );
    await source.stop();
    await source.ended;
    expect(source.status.state).toBe('stopped');
    expect(source.pid).toBeUndefined();
    const it = source.frames();
    expect(await it.next()).toEqual({ value: undefined, done: true });
  });

  it('a missing ffmpeg binary fails the camera with a reason that names it, once per attempt', async () => {
    const statuses: string[] = [];
    const source = createCameraSource(
      { id: 'no-ffmpeg', url: `file://${process.execPath}`, loop: true, intervalSec: 5, decode: 'keyframe' },
      { width: 416, height: 416, pixelFormat: 'rgb24', ffmpeg: NO_FFMPEG, backoff: { baseMs: 10, maxMs: 50, jitter: 0 } },
    );
    source.onStatus((s) => statuses.push(`${s.state}:${s.attempt}`));
    source.start();
    await new Promise((r) => setTimeout(r, 150));
    const reason = source.status.reason;
    await source.stop();
    expect(reason).toMatch(/^cannot run ffmpeg \(\/nonexistent\/ffmpeg\): spawn \/nonexistent\/ffmpeg ENOENT/);
    // connecting → failed, repeated at maxMs; never two failures for one attempt.
    expect(statuses.slice(0, 4)).toEqual(['connecting:0', 'failed:1', 'connecting:1', 'failed:2']);
  });
});
