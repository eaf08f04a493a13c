import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveFfmpeg } from '../../src/decode/ffmpeg-path.js';
import { sceneStep, type SceneState } from '../../src/scene/model.js';
import type { StaticRegion } from '../../src/scene/regions.js';
import { REPO } from '../../support/fixture-video.js';

/**
 * The scene model on a real fixture video: rendered by the generator (a shortened pile_second: a pile in
 * the picture from the start, a second one dumped later), encoded as H.264, decoded by ffmpeg to the
 * detector's 416² letterboxed BGR frames exactly as the pipeline sees them, one frame per 2 s.
 */

const SIZE = 416;
const out = mkdtempSync(join(tmpdir(), 'patrol-scene-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

function render(name: string, durationSec: number): string {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(REPO, 'fixtures', 'generate.ts'), '--only', name, '--duration', String(durationSec), '--out', out], { cwd: REPO, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`fixture generator failed: ${r.stderr}`);
  return join(out, `${name}.mp4`);
}

/** Frames every `everySec` seconds, scaled into the top-left of a 416² grey canvas like the camera source. */
function decode(file: string, everySec: number, srcW: number, srcH: number): { t: number; data: Buffer; cw: number; ch: number }[] {
  const scale = Math.min(SIZE / srcW, SIZE / srcH);
  const cw = Math.round(srcW * scale);
  const ch = Math.round(srcH * scale);
  const r = spawnSync(resolveFfmpeg().path, ['-v', 'error', '-i', file, '-vf', `fps=1/${everySec},scale=${cw}:${ch},pad=${SIZE}:${SIZE}:0:0:0x727272`, '-f', 'rawvideo', '-pix_fmt', 'bgr24', 'pipe:1'], { maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr}`);
  const n = r.stdout.length / (SIZE * SIZE * 3);
  return Array.from({ length: n }, (_, i) => ({ t: i * everySec * 1000, data: r.stdout.subarray(i * SIZE * SIZE * 3, (i + 1) * SIZE * SIZE * 3), cw, ch }));
}

function overlap(a: readonly number[], b: readonly number[]): number {
  const ix = Math.max(0, Math.min(a[2]!, b[2]!) - Math.max(a[0]!, b[0]!));
  const iy = Math.max(0, Math.min(a[3]!, b[3]!) - Math.max(a[1]!, b[1]!));
  return (ix * iy) / Math.max(1e-9, (b[2]! - b[0]!) * (b[3]! - b[1]!));
}

describe('scene model on a decoded fixture video', () => {
  it('finds the pile dumped later, never the one there from the start', { timeout: 240_000 }, () => {
    const file = render('pile_second', 100);
    const truth = JSON.parse(readFileSync(file.replace(/\.mp4$/, '.truth.json'), 'utf8')) as {
      width: number;
      height: number;
      objects: { id: string; startSec: number; track: { box: number[] }[] }[];
    };
    const oldPile = truth.objects.find((o) => o.id === 'pile_old')!.track[0]!.box;
    const newPile = truth.objects.find((o) => o.id === 'pile_new')!;
    const frames = decode(file, 2, truth.width, truth.height);
    expect(frames.length).toBeGreaterThan(40);
    let state: SceneState | null = null;
    const seen: { t: number; regions: StaticRegion[] }[] = [];
    for (const f of frames) {
      const res = sceneStep(state, { pixels: { data: f.data, width: SIZE, height: SIZE, contentWidth: f.cw, contentHeight: f.ch, pixelFormat: 'bgr24' }, t: f.t, boxes: [] });
      state = res.state;
      seen.push({ t: f.t, regions: res.regions });
    }
    for (const s of seen) for (const r of s.regions) expect(overlap(r.box, oldPile), `region ${JSON.stringify(r.box)} at ${s.t} ms on the old pile`).toBeLessThan(0.3);
    const onNew = seen.filter((s) => s.regions.some((r) => overlap(r.box, newPile.track[0]!.box) > 0.5));
    expect(onNew.length).toBeGreaterThan(0);
    // Found within ~12 s of being dumped, and from then on in (nearly) every frame.
    expect(onNew[0]!.t).toBeLessThanOrEqual((newPile.startSec + 12) * 1000);
    const after = seen.filter((s) => s.t >= onNew[0]!.t);
    expect(onNew.length / after.length).toBeGreaterThan(0.9);
  });
});
