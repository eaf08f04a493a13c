/**
 * Every model shipped in models/ loads with its manifest (names, shapes and class count checked against the
 * ONNX file), and the project's own detector finds labelled objects on held-out images from ../shared.
 * Thresholds are loose on purpose: this guards against a broken export or a mismatched manifest, while the
 * accuracy targets are bench:model's job.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Detector } from '../../src/detect/detector.js';
import { frameFromImage } from '../../src/detect/image-frame.js';
import { iou } from '../../src/geometry/box.js';
import { HAS_SHARED, REPO, SHARED } from '../../support/fixture-video.js';

const MODELS = join(REPO, 'models');
const manifests = readdirSync(MODELS).filter((f) => f.endsWith('.json'));
const needsShared = (m: string) => readFileSync(join(MODELS, m), 'utf8').includes('../shared/');
if (!HAS_SHARED) console.warn('models-shipped: ../shared is absent; skipping the stand-in model and the detection checks');

/** The first `n` images of a YOLO-format split that have a box of one of `classIds`, with those boxes. */
function labelled(split: string, classIds: number[], n: number): Array<{ image: string; boxes: Array<{ cls: number; box: [number, number, number, number] }> }> {
  const out = [];
  const labels = join(SHARED, 'data', 'images', split, 'labels');
  for (const f of readdirSync(labels).sort()) {
    const boxes = readFileSync(join(labels, f), 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(/\s+/).map(Number))
      .filter(([c]) => classIds.includes(c!))
      .map(([c, cx, cy, w, h]) => ({ cls: c!, box: [cx! - w! / 2, cy! - h! / 2, cx! + w! / 2, cy! + h! / 2] as [number, number, number, number] }));
    const image = ['.jpg', '.jpeg', '.png'].map((e) => join(SHARED, 'data', 'images', split, 'images', f.replace(/\.txt$/, e))).find(existsSync);
    if (boxes.length > 0 && image) out.push({ image, boxes });
    if (out.length === n) break;
  }
  return out;
}

describe('shipped models', () => {
  // A manifest whose model lives in ../shared (the stand-in teacher) skips visibly where it is absent.
  for (const m of manifests) it.skipIf(needsShared(m) && !HAS_SHARED)(`${m} loads and matches its model`, async () => {
    const det = await Detector.load(join(MODELS, m));
    expect(det.info.inputWidth).toBeGreaterThan(0);
    expect(det.manifest.license).not.toBe('');
    await det.release();
  });

  const trained = join(MODELS, 'patrol-det.json');
  describe.skipIf(!HAS_SHARED || !existsSync(trained))('patrol-det on held-out images', () => {
    // Dataset class id → the model's class name.
    const cases = [
      { split: 'garbage/valid', ids: { 0: 'garbage', 2: 'overflow', 1: 'garbage_bin' } as Record<number, string>, minHit: 0.6 },
      { split: 'forest_fire/valid', ids: { 1: 'fire', 3: 'fire', 4: 'fire' } as Record<number, string>, minHit: 0.4 },
    ];
    it.each(cases)('finds labelled objects in $split', async ({ split, ids, minHit }) => {
      const det = await Detector.load(trained);
      const images = labelled(split, Object.keys(ids).map(Number), 10);
      expect(images.length).toBe(10);
      let hit = 0;
      for (const { image, boxes } of images) {
        const frame = await frameFromImage(image, { width: det.info.inputWidth, height: det.info.inputHeight, pixelFormat: 'bgr24' });
        const [found] = await det.detect([frame]);
        if (boxes.some((gt) => found!.items.some((d) => d.label === ids[gt.cls] && iou(d.box, gt.box) >= 0.3))) hit++;
      }
      await det.release();
      console.log(`patrol-det on ${split}: ${hit} of ${images.length} images with a matching detection`);
      expect(hit / images.length).toBeGreaterThanOrEqual(minHit);
    });
  });
});
