import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { renderBeforeAfter } from '../../src/evidence/before-after.js';
import { sceneStep, type SceneState } from '../../src/scene/model.js';
import type { Frame } from '../../src/contracts/frame.js';
import { normBox, render, type SynthObject } from './scene-synthetic.js';

const PILE: SynthObject = { x: 150, y: 230, w: 60, h: 40, color: [40, 90, 200] };

function frame(objects: SynthObject[], seed: number, t: number): Frame {
  const px = render(objects, {}, 4, seed);
  return { ...px, cameraId: 'c', timestamp: t, ptsMs: t, sourceWidth: 704, sourceHeight: 576 } as Frame;
}

describe('before/after evidence', () => {
  it('shows the reference without the object on the left and the frame with it on the right', async () => {
    let state: SceneState | null = null;
    let last!: Frame;
    for (let i = 0; i < 12; i++) {
      last = frame(i >= 4 ? [PILE] : [], 10 + i, i * 2000);
      state = sceneStep(state, { pixels: last, t: last.timestamp, boxes: [] }).state;
    }
    const box = normBox(PILE);
    const jpeg = await renderBeforeAfter(state!.picture, state!.grid, last, box);
    const meta = await sharp(jpeg).metadata();
    expect(meta.format).toBe('jpeg');
    expect(meta.height).toBe(240);
    // Centre of each half: the object's colour (strong red in RGB, B=40 G=90 R=200) only in the after half.
    const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
    const half = Math.floor(info.width / 2);
    const at = (x: number): { r: number; b: number } => {
      const i = (Math.floor(info.height / 2) * info.width + x) * info.channels;
      return { r: data[i]!, b: data[i + 2]! };
    };
    const { r: rb, b: bb } = at(Math.floor(half / 2));
    const { r: ra, b: ba } = at(half + Math.floor(half / 2));
    expect(ra - ba).toBeGreaterThan(100);
    expect(Math.abs(rb - bb)).toBeLessThan(60);
  });
});
