import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Box } from '../../src/contracts/box.js';
import type { Detection } from '../../src/contracts/detections.js';
import { Detector } from '../../src/detect/detector.js';
import { frameFromImage } from '../../src/detect/image-frame.js';
import { PatrolError } from '../../src/errors.js';
import { iou } from '../../src/geometry/box.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SHARED = path.resolve(repo, '../shared');
const MODEL = path.join(SHARED, 'models/yolox_nano.onnx');
const CLASSES = path.join(SHARED, 'models/yolox_nano.classes.txt');
// A street scene: three parked cars and a scooter beside a dumped-garbage pile.
const IMAGE = path.join(SHARED, 'data/images/garbage/valid/images/000074.jpg');
const REPO_MANIFEST = path.join(repo, 'models/yolox_nano-coco.json');

const haveShared = existsSync(MODEL) && existsSync(IMAGE);
if (!haveShared) {
  console.warn(`[detect-yolox-nano] SKIPPED: ${MODEL} or ${IMAGE} is absent (../shared is not beside this checkout).`);
}

/** The white car at the left edge, as the stand-in sees it in the full 416×416 picture. */
const LEFT_CAR: Box = [0.0, 0.41, 0.22, 0.62];

function standInManifest(over: Record<string, unknown> = {}) {
  const names = readFileSync(CLASSES, 'utf8').split('\n').map((s) => s.trim()).filter(Boolean);
  return {
    name: 'yolox_nano-test',
    file: MODEL,
    input: { name: 'images', width: 416, height: 416, layout: 'NCHW', channelOrder: 'BGR', batch: 1 },
    output: { name: 'output', format: 'yolox', strides: [8, 16, 32], sigmoid: true },
    classes: names.map((name) => ({ name, threshold: 0.3 })),
    license: 'Apache-2.0',
    provenance: 'test copy of the stand-in manifest',
    ...over,
  };
}

function bestMatch(items: Detection[], label: string, box: Box): { det?: Detection; iou: number } {
  let best: { det?: Detection; iou: number } = { iou: 0 };
  for (const d of items) {
    if (d.label !== label) continue;
    const v = iou(d.box, box);
    if (v > best.iou) best = { det: d, iou: v };
  }
  return best;
}

describe.skipIf(!haveShared)('Detector with the YOLOX-nano stand-in (../shared)', () => {
  let dir: string;
  let detector: Detector;
  let manifestPath: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'patrol-detect-'));
    // Prefer the shipped manifest (tests it too); fall back to a test copy until it exists.
    if (existsSync(REPO_MANIFEST)) {
      manifestPath = REPO_MANIFEST;
    } else {
      manifestPath = path.join(dir, 'yolox.json');
      await writeFile(manifestPath, JSON.stringify(standInManifest()));
    }
    detector = await Detector.load(manifestPath, { threads: 1 });
  });
  afterAll(async () => {
    await detector?.release();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const writeManifest = async (name: string, body: unknown) => {
    const p = path.join(dir, name);
    await writeFile(p, JSON.stringify(body));
    return p;
  };

  it('loads once and reports what it runs', () => {
    expect(detector.info).toMatchObject({ inputWidth: 416, inputHeight: 416, batch: 1, dynamicBatch: false, threads: 1 });
    expect(detector.maxBatch).toBe(1);
  });

  it('finds the cars in a street scene (BGR frame, no letterbox padding)', async () => {
    const frame = await frameFromImage(IMAGE, { width: 416, height: 416, pixelFormat: 'bgr24', cameraId: 'cam-1', timestamp: 42 });
    const [res] = await detector.detect([frame]);
    expect(res).toMatchObject({ cameraId: 'cam-1', timestamp: 42, model: detector.name });
    const cars = res!.items.filter((d) => d.label === 'car' && d.score > 0.5);
    expect(cars.length).toBeGreaterThanOrEqual(2);
    const m = bestMatch(res!.items, 'car', LEFT_CAR);
    expect(m.iou).toBeGreaterThan(0.6);
    expect(m.det!.score).toBeGreaterThan(0.6);
    for (const d of res!.items) {
      expect(d.box[0]).toBeGreaterThanOrEqual(0);
      expect(d.box[3]).toBeLessThanOrEqual(1);
      expect(d.box[2]).toBeGreaterThan(d.box[0]);
    }
  });

  it('gives the same result for rgb24 and bgr24 frames (channel swap in preprocessing)', async () => {
    const bgr = await frameFromImage(IMAGE, { width: 416, height: 416, pixelFormat: 'bgr24' });
    const rgb = await frameFromImage(IMAGE, { width: 416, height: 416, pixelFormat: 'rgb24' });
    const [a, b] = await detector.detect([bgr, rgb]);
    expect(b!.items.map((d) => d.label)).toEqual(a!.items.map((d) => d.label));
    b!.items.forEach((d, i) => expect(d.score).toBeCloseTo(a!.items[i]!.score, 5));
  });

  it('maps boxes back through the letterbox: a wide, downscaled picture padded below', async () => {
    // Rows 100..316 of the scene, enlarged 1.5× (624×324): letterboxed to 416×216 content at top-left.
    const crop = await sharp(IMAGE).extract({ left: 0, top: 100, width: 416, height: 216 }).resize(624, 324).png().toBuffer();
    const frame = await frameFromImage(crop, { width: 416, height: 416, pixelFormat: 'bgr24' });
    expect([frame.contentWidth, frame.contentHeight]).toEqual([416, 216]);
    const [res] = await detector.detect([frame]);
    const want: Box = [LEFT_CAR[0], (LEFT_CAR[1] * 416 - 100) / 216, LEFT_CAR[2], (LEFT_CAR[3] * 416 - 100) / 216];
    expect(bestMatch(res!.items, 'car', want).iou).toBeGreaterThan(0.6);
  });

  it('maps boxes back through the letterbox: a tall picture padded on the right', async () => {
    const crop = await sharp(IMAGE).extract({ left: 0, top: 0, width: 250, height: 416 }).png().toBuffer();
    const frame = await frameFromImage(crop, { width: 416, height: 416, pixelFormat: 'rgb24' });
    expect([frame.contentWidth, frame.contentHeight]).toEqual([250, 416]);
    const [res] = await detector.detect([frame]);
    const want: Box = [0, LEFT_CAR[1], (LEFT_CAR[2] * 416) / 250, LEFT_CAR[3]];
    expect(bestMatch(res!.items, 'car', want).iou).toBeGreaterThan(0.6);
  });

  it('keeps frame order across a batch and across concurrent calls', async () => {
    const full = await frameFromImage(IMAGE, { width: 416, height: 416, cameraId: 'a' });
    const blank: typeof full = { ...full, cameraId: 'b', data: Buffer.alloc(full.data.length, 114) };
    const [batch, single] = await Promise.all([detector.detect([blank, full, blank]), detector.detect([full])]);
    expect(batch.map((r) => r.cameraId)).toEqual(['b', 'a', 'b']);
    expect(batch[0]!.items).toHaveLength(0);
    expect(batch[1]!.items).toEqual(single[0]!.items);
  });

  it('rejects a frame of the wrong size with a clear error', async () => {
    const f = await frameFromImage(IMAGE, { width: 320, height: 320 });
    await expect(detector.detect([f])).rejects.toThrow(/frame is 320×320 but model .* takes 416×416/);
  });

  it('fails clearly when the manifest lists a different number of classes than the model outputs', async () => {
    const p = await writeManifest('three.json', standInManifest({ classes: [{ name: 'garbage' }, { name: 'fire' }, { name: 'smoke' }] }));
    const e = await Detector.load(p).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(PatrolError);
    expect((e as PatrolError).message).toMatch(/"yolox_nano-test" \(.*yolox_nano\.onnx\)/);
    expect((e as PatrolError).message).toMatch(/80 classes in the model, 3 in the manifest/);
  });

  it('fails clearly when the input name is wrong', async () => {
    const base = standInManifest();
    const p = await writeManifest('input.json', { ...base, input: { ...base.input, name: 'input' } });
    await expect(Detector.load(p)).rejects.toThrow(/input "input" expected, the model's inputs are "images"/);
  });

  it('fails clearly when the model file is missing', async () => {
    const p = await writeManifest('missing.json', standInManifest({ file: 'no-such-model.onnx' }));
    const e = (await Detector.load(p).catch((err: unknown) => err)) as PatrolError;
    expect(e).toBeInstanceOf(PatrolError);
    expect(e.message).toContain(path.join(dir, 'no-such-model.onnx'));
    expect(e.hint).toMatch(/models\/README\.md/);
  });

  it('fails clearly when the file is not an ONNX model', async () => {
    await writeFile(path.join(dir, 'junk.onnx'), 'version https://git-lfs.github.com/spec/v1\n');
    const p = await writeManifest('junk.json', standInManifest({ file: 'junk.onnx' }));
    await expect(Detector.load(p)).rejects.toThrow(/could not be loaded by ONNX Runtime/);
  });
});
