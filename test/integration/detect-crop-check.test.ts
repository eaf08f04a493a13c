/**
 * The shipped crop check (models/patrol-crop-check.onnx, named by patrol-det.json's cropCheck) run through
 * CropCheck and the Detector: each checked box's score is rescaled by the check's own answer for its crop, other
 * boxes pass untouched, boxes that fall under their threshold go, and a broken check is a clear error at load.
 */
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Detection } from '../../src/contracts/detections.js';
import type { Frame } from '../../src/contracts/frame.js';
import { cropRect, cropToChw } from '../../src/detect/crop.js';
import { CropCheck, checkedScore } from '../../src/detect/crop-check.js';
import { Detector } from '../../src/detect/detector.js';
import { parseManifest } from '../../src/detect/load-manifest.js';
import type { ModelManifest } from '../../src/detect/manifest.js';
import { PatrolError } from '../../src/errors.js';
import { REPO } from '../../support/fixture-video.js';

const MANIFEST = join(REPO, 'models', 'patrol-det.json');
const SIZE = 416;

/** A 416² BGR picture: a grey-blue street with an orange block and a yellow-white blob (a flame-like patch). */
function picture(): Frame {
  const data = Buffer.alloc(SIZE * SIZE * 3);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const o = (y * SIZE + x) * 3;
      data[o] = 120 + (x % 17);
      data[o + 1] = 110 + (y % 13);
      data[o + 2] = 100;
      if (x >= 40 && x < 120 && y >= 200 && y < 300) data.set([20, 120, 240], o);
      const d = Math.hypot(x - 300, y - 150);
      if (d < 40) data.set([Math.round(200 - 4 * d), Math.round(250 - 3 * d), 255], o);
    }
  }
  return { cameraId: 'c1', timestamp: 0, ptsMs: 0, data, pixelFormat: 'bgr24', width: SIZE, height: SIZE, contentWidth: SIZE, contentHeight: 312, sourceWidth: 1280, sourceHeight: 960 };
}

const det = (m: ModelManifest, label: string, score: number, box: [number, number, number, number]): Detection => {
  const classId = m.classes.findIndex((c) => c.name === label);
  const d: Detection = { classId, label, score, box };
  if (m.classes[classId]!.violation) d.violation = m.classes[classId]!.violation;
  return d;
};

describe('crop check (shipped with patrol-det)', () => {
  let manifest: ModelManifest;
  let check: CropCheck;
  let raw: InferenceSession;
  let dir: string;

  beforeAll(async () => {
    manifest = parseManifest(JSON.parse(await readFile(MANIFEST, 'utf8')), MANIFEST);
    expect(manifest.cropCheck, 'patrol-det.json ships a cropCheck').toBeDefined();
    check = (await CropCheck.load(manifest, MANIFEST))!;
    raw = await InferenceSession.create(join(REPO, 'models', manifest.cropCheck!.file));
    dir = await mkdtemp(join(tmpdir(), 'patrol-crop-check-'));
  });
  afterAll(async () => {
    await check?.release();
    await raw?.release();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** The check's probability for one box, asked of the ONNX model directly. */
  async function probability(frame: Frame, d: Detection): Promise<number> {
    const spec = manifest.cropCheck!;
    const rect = cropRect(d.box, frame, spec)!;
    const input = new Float32Array(3 * spec.size * spec.size);
    cropToChw({ ...frame, swapRedBlue: false }, rect, spec.size, input, 0);
    const out = await raw.run({ [spec.input]: new Tensor('float32', input, [1, 3, spec.size, spec.size]) });
    const column = spec.classes.findIndex((c) => c.name === d.label);
    return (out[spec.output]!.data as Float32Array)[column]!;
  }

  it('rescales each checked box by its own column and leaves the other classes alone', async () => {
    const frame = picture();
    const items = [
      det(manifest, 'fire', 0.9, [260 / SIZE, 110 / 312, 340 / SIZE, 190 / 312]),
      det(manifest, 'fire', 0.8, [40 / SIZE, 200 / 312, 120 / SIZE, 300 / 312]),
      det(manifest, 'person', 0.7, [0.5, 0.5, 0.6, 0.9]),
      det(manifest, 'overflow', 0.6, [40 / SIZE, 200 / 312, 120 / SIZE, 300 / 312]),
    ];
    const [out] = await check.apply([frame], [items], new Float32Array(manifest.classes.length));
    expect(out!.map((d) => d.label)).toEqual(['fire', 'fire', 'person', 'overflow']);
    for (const [k, d] of items.entries()) {
      const spec = manifest.cropCheck!.classes.find((c) => c.name === d.label);
      const want = spec ? checkedScore(d.score, await probability(frame, d), spec.threshold) : d.score;
      expect(out![k]!.score).toBeCloseTo(want, 5);
    }
    expect(items[0]!.score, 'the input is not modified').toBe(0.9);
  });

  it('drops checked boxes that fall under their class threshold, across more boxes than one batch', async () => {
    const frames = [picture(), picture()];
    const boxes = Array.from({ length: 300 }, (_, i) => det(manifest, 'fire', 0.5, [((i % 20) * 18) / SIZE, 0.1, ((i % 20) * 18 + 40) / SIZE, 0.4]));
    const fireThreshold = new Float32Array(manifest.classes.length);
    fireThreshold[boxes[0]!.classId] = 0.45;
    const out = await check.apply(frames, [boxes.slice(0, 150), boxes.slice(150)], fireThreshold);
    const kept = out.flat();
    const expected: number[] = [];
    for (const [k, d] of boxes.entries()) {
      const s = checkedScore(d.score, await probability(frames[k < 150 ? 0 : 1]!, d), manifest.cropCheck!.classes[0]!.threshold);
      if (s >= 0.45) expected.push(s);
    }
    expect(kept.map((d) => d.score)).toEqual(expected.map((s) => expect.closeTo(s, 5)));
  });

  it('the detector runs it unless told not to, and says which classes it checks', async () => {
    const on = await Detector.load(MANIFEST);
    const off = await Detector.load(MANIFEST, { cropCheck: false });
    try {
      expect(on.info.cropChecked).toEqual(manifest.cropCheck!.classes.map((c) => c.name));
      expect(off.info.cropChecked).toEqual([]);
    } finally {
      await on.release();
      await off.release();
    }
  });

  it('a check file that does not match the manifest is a clear error at load', async () => {
    const file = join(dir, manifest.cropCheck!.file);
    await copyFile(join(REPO, 'models', manifest.cropCheck!.file), file);
    const at = join(dir, 'm.json');
    const load = async (cropCheck: object) => {
      const m = { ...manifest, cropCheck: { ...manifest.cropCheck!, ...cropCheck } };
      await writeFile(at, JSON.stringify(m));
      return CropCheck.load(parseManifest(m, at), at).then(
        () => undefined,
        (e: unknown) => e,
      );
    };
    const named = (await load({ output: 'fire' })) as PatrolError;
    expect(named).toBeInstanceOf(PatrolError);
    expect(named.message).toMatch(/the manifest names "crops" and "fire"/);
    expect(named.hint).toMatch(/cropCheck\.input \/ cropCheck\.output/);
    const sha = (await load({ sha256: '0'.repeat(64) })) as PatrolError;
    expect(sha.message).toMatch(/has sha256 [0-9a-f]{64}, the manifest expects 0{64}/);
    const missing = (await load({ file: 'gone.onnx' })) as PatrolError;
    expect(missing.message).toMatch(/cannot be read: .*gone\.onnx: ENOENT/);
    expect(missing.hint).toMatch(/remove "cropCheck" from the manifest/);
  });
});
