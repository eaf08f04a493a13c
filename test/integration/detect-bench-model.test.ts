import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../bench/model.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MANIFEST = path.join(repo, 'models/yolox_nano-coco.json');
const IMAGE = path.resolve(repo, '../shared/data/images/garbage/valid/images/000074.jpg');
const ready = existsSync(MANIFEST) && existsSync(path.resolve(repo, '../shared/models/yolox_nano.onnx')) && existsSync(IMAGE);
if (!ready) console.warn(`[detect-bench-model] SKIPPED: needs ${MANIFEST} and ../shared (model and images).`);

describe.skipIf(!ready)('bench:model (stand-in model, a few images)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'patrol-bench-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('evaluates the shared valid splits and writes markdown, SVG and JSON; missing targets exit 1', async () => {
    const out = path.join(dir, 'shared');
    const code = await main(['--model', MANIFEST, '--limit', '3', '--skip-latency', '--threads', '1', '--out', out]);
    // The COCO stand-in has none of the project's own classes, so those targets are missed.
    expect(code).toBe(1);
    const md = readFileSync(path.join(out, 'yolox_nano-coco.md'), 'utf8');
    expect(md).toMatch(/garbage\/valid \(3 images\)/);
    expect(md).toMatch(/\| AP50 garbage \| — \| ≥ 0\.500 \| \*\*missed\*\* \|/);
    expect(readFileSync(path.join(out, 'yolox_nano-coco-pr.svg'), 'utf8')).toMatch(/^<svg/);
    expect(JSON.parse(readFileSync(path.join(out, 'yolox_nano-coco.json'), 'utf8'))).toHaveProperty('classes');
  });

  it('--data/--names measures a model on a user folder', async () => {
    const data = path.join(dir, 'mine');
    mkdirSync(path.join(data, 'images'), { recursive: true });
    mkdirSync(path.join(data, 'labels'));
    copyFileSync(IMAGE, path.join(data, 'images/street.jpg'));
    // The white car at the left edge (cx cy w h, normalized), labelled as class 7 of "their" dataset.
    writeFileSync(path.join(data, 'labels/street.txt'), '7 0.11 0.515 0.22 0.21\n');
    const out = path.join(dir, 'mine-out');
    const code = await main(['--model', MANIFEST, '--data', data, '--names', '7=car', '--skip-latency', '--threads', '1', '--out', out]);
    expect(code).toBe(0);
    const res = JSON.parse(readFileSync(path.join(out, 'yolox_nano-coco.json'), 'utf8')) as { classes: { label: string; source: string; ap50: number }[] };
    const car = res.classes.find((c) => c.label === 'car')!;
    expect(car.source).toBe('labels');
    expect(car.ap50).toBeGreaterThan(0.9);
  });
});

describe('bench:model --out', () => {
  it("refuses a folder where the report would replace the model's own manifest, before any work", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'patrol-bench-cand-'));
    try {
      // A candidate as a developer lays it out: its manifest beside the reports it is about to get.
      const shipped = JSON.parse(readFileSync(path.join(repo, 'models/patrol-det.json'), 'utf8')) as { file: string; cropCheck?: { file: string } };
      shipped.file = path.join(repo, 'models', shipped.file);
      if (shipped.cropCheck) shipped.cropCheck.file = path.join(repo, 'models', shipped.cropCheck.file);
      const manifest = path.join(dir, 'patrol-det.json');
      writeFileSync(manifest, JSON.stringify(shipped));
      await expect(main(['--model', manifest, '--out', dir, '--skip-latency'])).rejects.toThrow(/would replace the model manifest .*patrol-det\.json/);
      expect(JSON.parse(readFileSync(manifest, 'utf8'))).toEqual(shipped);
      // A report from an earlier run there (not a manifest) is simply replaced: only manifests are protected.
      const other = path.join(dir, 'reports');
      mkdirSync(other);
      writeFileSync(path.join(other, 'patrol-det.json'), '{"classes": []}');
      await expect(main(['--model', manifest, '--out', other, '--skip-latency', '--data', path.join(dir, 'no-such-folder'), '--names', '0=garbage'])).rejects.not.toThrow(/would replace/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
