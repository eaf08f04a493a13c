import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Frame } from '../../src/contracts/frame.js';
import { resolveFfmpeg } from '../../src/decode/ffmpeg-path.js';
import type { ClipSpan } from '../../src/contracts/clip-span.js';
import { burstSourceFor } from '../../src/pipeline/burst-source.js';
import { accessUnits, spanOf } from '../support/access-units.js';

/** Where the burning check gets consecutive frames: real H.264 decoded by ffmpeg, from a file or a clip ring. */
const ffmpeg = resolveFfmpeg().path;
const dir = mkdtempSync(join(tmpdir(), 'patrol-burst-'));
const frame = (ptsMs: number): Frame => ({ cameraId: 'c', timestamp: Date.now(), ptsMs, data: Buffer.alloc(0), pixelFormat: 'bgr24', width: 416, height: 416, contentWidth: 416, contentHeight: 312, sourceWidth: 320, sourceHeight: 240 });
const src = ['-hide_banner', '-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-t', '4', '-c:v', 'libx264', '-g', '25', '-pix_fmt', 'yuv420p'];

describe('burst source', () => {
  it('a file analyzed in one pass: 1 s of consecutive frames from the frame\'s own time, small and in the source aspect', async () => {
    const file = join(dir, 'clip.mp4');
    execFileSync(ffmpeg, [...src, file]);
    const b = await burstSourceFor({ url: `file://${file}` }, 'once', ffmpeg, undefined)(frame(1500), 1);
    expect(b).toBeDefined();
    expect(b!.frames).toHaveLength(12);
    expect([b!.width, b!.height]).toEqual([208, 156]);
    expect(b!.frames[0]!.length).toBe(208 * 156 * 3);
    expect(b!.frames[0]!.equals(b!.frames[11]!)).toBe(false); // the test pattern moves: consecutive, not repeated
  });

  it('a live camera: the last second of the newest completed segment of its clip ring', async () => {
    const ring = join(dir, 'ring');
    mkdirSync(ring);
    execFileSync(ffmpeg, [...src, '-f', 'segment', '-segment_time', '2', '-segment_list', join(ring, 'run1.csv'), '-segment_list_type', 'csv', join(ring, 'run1-%03d.ts')]);
    const b = await burstSourceFor({ url: 'rtsp://127.0.0.1:1/cam' }, 'live', ffmpeg, ring)(frame(0), 1);
    expect(b).toBeDefined();
    expect(b!.frames).toHaveLength(12);
  });

  it('a live camera without a ring has no burst (its candidates under the threshold are not promoted)', async () => {
    expect(await burstSourceFor({ url: 'rtsp://127.0.0.1:1/cam' }, 'live', ffmpeg, undefined)(frame(0), 1)).toBeUndefined();
    expect(await burstSourceFor({ url: 'rtsp://127.0.0.1:1/cam' }, 'live', ffmpeg, join(dir, 'empty-ring'))(frame(0), 1)).toBeUndefined();
  });

  it('a native camera: the second up to the frame, from its packet ring (the units as MPEG-TS on stdin)', async () => {
    const span = spanOf('h264', await accessUnits('h264', 75, '320x240'), 40);
    const asked: number[][] = [];
    const spans = { span: async (fromMs: number, toMs: number): Promise<ClipSpan | undefined> => (asked.push([fromMs, toMs]), span) };
    const f = { ...frame(0), timestamp: span.endMs };
    const b = await burstSourceFor({ url: 'rtsp://127.0.0.1:1/cam' }, 'live', ffmpeg, undefined, spans)(f, 1);
    expect(asked).toEqual([[span.endMs - 1000, span.endMs]]);
    expect(b!.frames).toHaveLength(12);
    expect(b!.frames[0]!.equals(b!.frames[11]!)).toBe(false);
    const none = { span: async (): Promise<ClipSpan | undefined> => undefined };
    expect(await burstSourceFor({ url: 'rtsp://127.0.0.1:1/cam' }, 'live', ffmpeg, undefined, none)(f, 1)).toBeUndefined();
  });
});
