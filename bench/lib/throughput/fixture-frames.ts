/**
 * Frames of a video file exactly as the pipeline's detector gets them: through the real camera source
 * (keyframe decode, one per interval, letterboxed to the detector input), read as fast as possible.
 */
import path from 'node:path';
import type { PixelFormat } from '../../../src/decode/ffmpeg-args.js';
import type { FfmpegBinary } from '../../../src/decode/ffmpeg-path.js';
import { createCameraSource } from '../../../src/ingest/camera-source.js';
import type { Frame } from '../../../src/contracts/frame.js';

export interface FixtureFrameOptions {
  width: number;
  height: number;
  pixelFormat: PixelFormat;
  intervalSec: number;
  ffmpeg?: FfmpegBinary;
  /** Stop after this many frames. */
  limit?: number;
  cameraId?: string;
}

export async function decodeFixtureFrames(file: string, o: FixtureFrameOptions): Promise<Frame[]> {
  const cameraId = o.cameraId ?? path.basename(file).replace(/\.[^.]+$/, '').replace(/[^A-Za-z0-9_-]/g, '_');
  const source = createCameraSource(
    { id: cameraId, url: `file://${path.resolve(file)}`, loop: false, intervalSec: o.intervalSec, decode: 'keyframe' },
    { width: o.width, height: o.height, pixelFormat: o.pixelFormat, ffmpeg: o.ffmpeg, realtime: false, startTimeMs: 0 },
  );
  const frames: Frame[] = [];
  const failure = new Promise<never>((_, reject) =>
    source.onStatus((s) => {
      if (s.state === 'failed' || s.state === 'backoff') reject(new Error(`decoding ${file} failed: ${s.reason ?? s.state}`));
    }),
  );
  failure.catch(() => undefined);
  source.start();
  const it = source.frames();
  try {
    for (;;) {
      const next = await Promise.race([it.next(), failure]);
      if (next.done) break;
      frames.push(next.value);
      if (o.limit !== undefined && frames.length >= o.limit) break;
    }
  } finally {
    await source.stop();
  }
  return frames;
}
