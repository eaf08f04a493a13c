import { describe, expect, it } from 'vitest';
import { resolveFfmpeg } from '../../src/decode/ffmpeg-path.js';
import { createCameraSource, type CameraSourceConfig, type CameraSourceOptions } from '../../src/ingest/camera-source.js';
import type { Frame } from '../../src/contracts/frame.js';
import type { SourceStatus } from '../../src/contracts/camera-status.js';
import { testClip } from '../support/clip.js';

const W = 416;
const H = 416;

function camera(url: string, over: Partial<CameraSourceConfig> = {}): CameraSourceConfig {
  return { id: 'file-cam', url, loop: false, intervalSec: 1, decode: 'keyframe', ...over };
}

async function collect(cam: CameraSourceConfig, opts: Partial<CameraSourceOptions> = {}): Promise<{ frames: Frame[]; statuses: SourceStatus[] }> {
  const source = createCameraSource(cam, { width: W, height: H, pixelFormat: 'rgb24', realtime: false, ...opts });
  const statuses: SourceStatus[] = [];
  source.onStatus((s) => statuses.push(s));
  const frames: Frame[] = [];
  source.start();
  for await (const f of source.frames()) frames.push(f);
  await source.ended;
  return { frames, statuses };
}

/** Mean absolute difference of two equally sized buffers. */
function meanDiff(a: Buffer, b: Buffer): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

describe('file source through real ffmpeg (analyze mode: as fast as possible, timestamps from the file)', () => {
  it('keyframe mode yields one letterboxed frame per GOP with file timestamps', async () => {
    const clip = await testClip();
    const { frames, statuses } = await collect(camera(`file://${clip.ts}`), { startTimeMs: 1_000_000 });
    const keyframes = clip.durationSec / (clip.gop / clip.fps); // 10 s at one keyframe per 2 s
    expect(frames).toHaveLength(keyframes);
    expect(frames.map((f) => f.ptsMs)).toEqual([0, 2000, 4000, 6000, 8000]);
    expect(frames.map((f) => f.timestamp)).toEqual([1_000_000, 1_002_000, 1_004_000, 1_006_000, 1_008_000]);
    for (const f of frames) {
      expect(f.data.length).toBe(W * H * 3);
      expect([f.width, f.height, f.pixelFormat]).toEqual([W, H, 'rgb24']);
      expect([f.sourceWidth, f.sourceHeight]).toEqual([704, 576]);
      // 704×576 into 416²: 416 × round(416·576/704) = 416 × 340, picture at the top-left.
      expect([f.contentWidth, f.contentHeight]).toEqual([416, 340]);
    }
    expect(statuses.map((s) => s.state)).toEqual(['connecting', 'live', 'stopped']);
    expect(statuses.at(-1)?.reason).toBe('end of file');
  });

  it('works the same with the npm fallback ffmpeg (2018 build: -vsync 0 instead of -fps_mode)', async () => {
    const clip = await testClip();
    const ffmpeg = resolveFfmpeg({ env: { PATH: '/nonexistent' } });
    expect(ffmpeg.features.fpsMode).toBe(false);
    const { frames } = await collect(camera(`file://${clip.ts}`), { ffmpeg });
    expect(frames.map((f) => f.ptsMs)).toEqual([0, 2000, 4000, 6000, 8000]);
    expect(frames[0]!.data.subarray(340 * W * 3).every((v) => v === 114)).toBe(true);
  });

  it('pads the bottom with exact grey 114 and leaves the picture above it', async () => {
    const clip = await testClip();
    const { frames } = await collect(camera(`file://${clip.ts}`));
    const f = frames[0]!;
    const rowBytes = W * 3;
    const padding = f.data.subarray(f.contentHeight * rowBytes);
    expect(padding.length).toBe((H - 340) * rowBytes);
    expect(padding.every((v) => v === 114)).toBe(true);
    // The last picture row is testsrc2 content, not padding.
    const lastRow = f.data.subarray((f.contentHeight - 1) * rowBytes, f.contentHeight * rowBytes);
    expect(lastRow.some((v) => v !== 114)).toBe(true);
  });

  it('bgr24 is rgb24 with the channels swapped', async () => {
    const clip = await testClip();
    const rgb = (await collect(camera(`file://${clip.ts}`))).frames[0]!;
    const bgr = (await collect(camera(`file://${clip.ts}`), { pixelFormat: 'bgr24' })).frames[0]!;
    expect(bgr.pixelFormat).toBe('bgr24');
    const swapped = Buffer.from(bgr.data);
    for (let i = 0; i < swapped.length; i += 3) [swapped[i], swapped[i + 2]] = [swapped[i + 2]!, swapped[i]!];
    // swscale takes different conversion paths for the two orders: off by a rounding step at most.
    expect(meanDiff(swapped, rgb.data)).toBeLessThan(2);
  });

  it('keyframe mode throttles to the interval, rounded up to the GOP', async () => {
    const clip = await testClip();
    // Keyframes at 0,2,4,6,8 s; one per 5 s → 0, then the first keyframe ≥ 5 s after it: 6.
    const { frames } = await collect(camera(`file://${clip.ts}`, { intervalSec: 5 }));
    expect(frames.map((f) => f.ptsMs)).toEqual([0, 6000]);
  });

  it('interval mode decodes every frame and keeps one per interval', async () => {
    const clip = await testClip();
    const { frames } = await collect(camera(`file://${clip.mp4}`, { decode: 'interval', intervalSec: 1.5 }));
    // 25 fps: kept at 0, 1.52 (first ≥ 1.425 after 0: frame 36 = 1.44), ... — one per ~1.5 s.
    expect(frames.length).toBeGreaterThanOrEqual(6);
    expect(frames.length).toBeLessThanOrEqual(8);
    const gaps = frames.slice(1).map((f, i) => f.ptsMs - frames[i]!.ptsMs);
    for (const g of gaps) expect(g).toBeGreaterThanOrEqual(1400);
    for (const g of gaps) expect(g).toBeLessThanOrEqual(1600);
  });

  it('a looping file plays in real time with wall-clock stamps and keeps going past its end', async () => {
    const clip = await testClip({ durationSec: 2 }); // one GOP: a single keyframe per loop
    const source = createCameraSource(camera(`file://${clip.ts}`, { loop: true, intervalSec: 1 }), { width: W, height: H, pixelFormat: 'rgb24' });
    const frames: Frame[] = [];
    const started = Date.now();
    source.onFrame((f) => void frames.push(f));
    source.start();
    await waitFor(() => frames.length >= 3, 15_000); // keyframes of loops 1, 2 and 3
    const elapsed = Date.now() - started;
    await source.stop();
    expect(elapsed).toBeGreaterThanOrEqual(3_500); // real time, not as fast as possible
    // -stream_loop offsets each loop's timestamps, so pts keep increasing.
    expect(frames.map((f) => f.ptsMs).slice(0, 3)).toEqual([0, 2000, 4000]);
    for (const f of frames) expect(Math.abs(f.timestamp - Date.now())).toBeLessThan(20_000);
    expect(source.status.state).toBe('stopped');
  });

  it('a missing file is reported as failed, with the path, and retried at the maximum backoff', async () => {
    const statuses: SourceStatus[] = [];
    const source = createCameraSource(camera('file://no/such/clip.ts'), {
      width: W,
      height: H,
      pixelFormat: 'rgb24',
      baseDir: '/tmp',
      backoff: { baseMs: 10, maxMs: 60_000 },
    });
    source.onStatus((s) => statuses.push(s));
    source.start();
    await source.stop();
    const failed = statuses.find((s) => s.state === 'failed');
    expect(failed?.reason).toContain('/tmp/no/such/clip.ts');
    expect(failed!.retryAt! - Date.now()).toBeGreaterThan(50_000);
    expect(statuses.at(-1)?.state).toBe('stopped');
  });
});

async function waitFor(cond: () => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`condition not met in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
