import { describe, expect, it } from 'vitest';
import { yoloxAnchorCount } from '../../src/detect/decode-yolox.js';
import { toPictureBox } from '../../src/detect/letterbox.js';
import type { ModelManifest } from '../../src/detect/manifest.js';
import { ModelManifestSchema } from '../../src/detect/manifest.js';
import { postprocess, postprocessSpec } from '../../src/detect/postprocess.js';

describe('toPictureBox (letterbox at top-left → normalized camera picture)', () => {
  it('divides by the content size, not the input size', () => {
    // A 1920×1080 camera in a 416×416 input: content 416×234, padding below.
    const b = toPictureBox([104, 58.5, 208, 117], 416, 234)!;
    expect(b[0]).toBeCloseTo(0.25);
    expect(b[1]).toBeCloseTo(0.25);
    expect(b[2]).toBeCloseTo(0.5);
    expect(b[3]).toBeCloseTo(0.5);
  });

  it('clips boxes that run into the padding or past the edges', () => {
    expect(toPictureBox([-10, 200, 100, 300], 416, 234)).toEqual([0, 200 / 234, 100 / 416, 1]);
  });

  it('drops a box entirely inside the padding', () => {
    expect(toPictureBox([10, 250, 50, 300], 416, 234)).toBeUndefined();
  });
});

describe('postprocess (decode → NMS → map, labels and violations from the manifest)', () => {
  const manifest: ModelManifest = ModelManifestSchema.parse({
    name: 'tiny',
    file: 'tiny.onnx',
    input: { name: 'images', width: 64, height: 64, layout: 'NCHW', channelOrder: 'BGR' },
    output: { name: 'output', format: 'yolox' },
    classes: [{ name: 'person' }, { name: 'garbage', violation: 'dumping', threshold: 0.5 }],
    license: 'test',
    provenance: 'test',
  });
  const row = 5 + 2;

  it('returns normalized boxes with label, score and violation; duplicates suppressed', () => {
    const t = new Float32Array(yoloxAnchorCount(64, 64, [8, 16, 32]) * row);
    // Two neighbouring stride-8 cells predicting the same garbage box (cx 16, cy 8, 16×8), one weaker.
    t.set([0, 0, Math.log(2), 0, 0.9, 0, 0.9], (1 * 8 + 2) * row);
    t.set([1, 0, Math.log(2), 0, 0.8, 0, 0.9], (1 * 8 + 1) * row);
    // A person under garbage's threshold but over its own (0.35).
    t.set([0, 0, 0, 0, 0.6, 0.7, 0], (1 * 8 + 5) * row);
    // A confident person in the padding below the 64×32 picture: dropped.
    t.set([0, 0, 0, 0, 1, 1, 0], (6 * 8 + 2) * row);
    const items = postprocess(t, postprocessSpec(manifest), { contentWidth: 64, contentHeight: 32 });
    expect(items).toHaveLength(2);
    const [g, p] = items;
    expect(g).toMatchObject({ classId: 1, label: 'garbage', violation: 'dumping', score: expect.closeTo(0.81, 5) });
    [8 / 64, 4 / 32, 24 / 64, 12 / 32].forEach((v, k) => expect(g!.box[k]).toBeCloseTo(v, 6));
    expect(p).toMatchObject({ classId: 0, label: 'person', score: expect.closeTo(0.42, 5) });
    expect(p).not.toHaveProperty('violation');
    expect(p!.box).toEqual([36 / 64, 4 / 32, 44 / 64, 12 / 32]);
  });
});
