import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkTargets, type ModelResult, TargetsSchema } from '../../bench/lib/model/targets.js';
import { parseNames, readYoloFolder } from '../../bench/lib/model/yolo-dataset.js';
import { PatrolError } from '../../src/errors.js';

describe('YOLO-format folders', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'patrol-yolo-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(path.join(dir, 'images'));
  mkdirSync(path.join(dir, 'labels'));
  writeFileSync(path.join(dir, 'images/a.jpg'), '');
  writeFileSync(path.join(dir, 'images/b.png'), '');
  writeFileSync(path.join(dir, 'images/notes.txt'), '');
  writeFileSync(path.join(dir, 'labels/a.txt'), '0 0.5 0.5 0.2 0.4\n3 0.1 0.1 0.1 0.1\n1 0.25 0.75 0.5 0.5\n\n');

  it('reads boxes as normalized xyxy, maps ids to names and ignores unmapped ids', () => {
    const imgs = readYoloFolder(dir, parseNames('0=fire, 1=smoke'), 'mine');
    expect(imgs.map((i) => path.basename(i.path))).toEqual(['a.jpg', 'b.png']);
    expect(imgs[0]!.dataset).toBe('mine');
    expect(imgs[0]!.boxes.map((b) => b.label)).toEqual(['fire', 'smoke']);
    imgs[0]!.boxes[0]!.box.forEach((v, k) => expect(v).toBeCloseTo([0.4, 0.3, 0.6, 0.7][k]!, 10));
    expect(imgs[1]!.boxes).toEqual([]); // no label file: no objects
  });

  it('explains a folder that is not YOLO format, and bad --names', () => {
    expect(() => readYoloFolder(path.join(dir, 'labels'), new Map())).toThrow(PatrolError);
    expect(() => parseNames('0:fire')).toThrow(/ID=NAME/);
    expect([...parseNames('0=smoke,2=smoke,1=fire')]).toEqual([
      [0, 'smoke'],
      [2, 'smoke'],
      [1, 'fire'],
    ]);
  });
});

describe('checkTargets', () => {
  const t = TargetsSchema.parse({ ap50: { garbage: 0.5, fire: 0.6 }, cocoRetention: 0.8, latency: { threads: 1, batch: 1, maxMsPerFrame: 25 } });
  const r: ModelResult = {
    model: 'det',
    classes: [
      { label: 'garbage', source: 'labels', nGt: 10, ap50: 0.55, ap5095: 0.3, threshold: 0.3, precision: 0.7, recall: 0.6 },
      { label: 'car', source: 'pseudo', nGt: 5, ap50: 0.7, ap5095: 0.5, threshold: 0.35, precision: 0.8, recall: 0.8, teacherAp50: 0.95 },
    ],
    latency: [{ threads: 1, batch: 1, msPerFrame: 30, p50CallMs: 29, p95CallMs: 35 }],
  };

  it('flags each target: met, missed, and classes no model has', () => {
    const checks = checkTargets([r], t);
    const by = (w: string) => checks.find((c) => c.what.startsWith(w))!;
    expect(by('AP50 garbage').ok).toBe(true);
    expect(by('AP50 fire')).toMatchObject({ model: '(none)', ok: false });
    expect(by('AP50 car')).toMatchObject({ ok: false, target: expect.closeTo(0.76, 10) });
    expect(by('ms/frame')).toMatchObject({ value: 30, ok: false });
  });

  it('reports latency as not measured when it was skipped', () => {
    const checks = checkTargets([{ ...r, latency: [] }], t);
    expect(checks.find((c) => c.what.startsWith('ms'))!.ok).toBeUndefined();
  });
});
