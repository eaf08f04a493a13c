import { describe, expect, it } from 'vitest';
import type { FfmpegBinary } from '../../src/decode/ffmpeg-path.js';
import { createCameraSource, type CameraSourceConfig, type CameraSourceOptions } from '../../src/ingest/camera-source.js';
import { NativeCameraSource } from '../../src/ingest/native-source.js';

/** Never spawned: nothing here is started. */
const NO_FFMPEG: FfmpegBinary = {
  path: '/nonexistent/ffmpeg',
  origin: 'explicit',
  version: 'ffmpeg version test',
  features: { fpsMode: true, rtspSocketTimeout: 'timeout', showinfoChecksumOption: true },
};
const OPTS: CameraSourceOptions = { width: 416, height: 416, pixelFormat: 'bgr24', ffmpeg: NO_FFMPEG };
const cam = (url: string, extra: Partial<CameraSourceConfig> = {}): CameraSourceConfig => ({ id: 'c1', url, loop: false, intervalSec: 5, decode: 'keyframe', ...extra });

describe('createCameraSource picks the transport resolveTransport gives', () => {
  it('an rtsp:// camera without a transport gets the in-process client; a file, rtsps:// or decode: interval ffmpeg', async () => {
    const native = createCameraSource(cam('rtsp://10.0.0.1/s'), OPTS);
    expect(native).toBeInstanceOf(NativeCameraSource);
    for (const c of [cam('file:///srv/clip.mp4'), cam('rtsps://10.0.0.1/s'), cam('rtsp://10.0.0.1/s', { decode: 'interval' }), cam('rtsp://10.0.0.1/s', { transport: 'ffmpeg' })]) {
      expect(createCameraSource(c, OPTS), c.url).not.toBeInstanceOf(NativeCameraSource);
    }
    await native.stop();
  });

  it('refuses a ring folder for a native camera instead of writing none', () => {
    const ring = { dir: '/tmp/never-written', seconds: 10 };
    expect(() => createCameraSource(cam('rtsp://10.0.0.1/s'), { ...OPTS, ring })).toThrow(/c1: a clip ring folder needs transport ffmpeg, and this camera is native \(default for rtsp:\/\/ with keyframe decode\): set transport: 'ffmpeg'/);
    expect(createCameraSource(cam('rtsp://10.0.0.1/s', { transport: 'ffmpeg' }), { ...OPTS, ring })).not.toBeInstanceOf(NativeCameraSource);
  });
});
