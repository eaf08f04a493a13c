import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadManifest, parseManifest } from '../../src/detect/load-manifest.js';
import { PatrolError } from '../../src/errors.js';

const valid = {
  name: 'tiny',
  file: 'tiny.onnx',
  input: { name: 'images', width: 64, height: 64, layout: 'NCHW', channelOrder: 'BGR' },
  output: { name: 'output', format: 'yolox' },
  classes: [{ name: 'garbage', violation: 'dumping' }],
  license: 'Apache-2.0',
  provenance: 'test',
};

function errorOf(fn: () => unknown): PatrolError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(PatrolError);
    return e as PatrolError;
  }
  throw new Error('expected an error');
}

async function rejectionOf(p: Promise<unknown>): Promise<PatrolError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(PatrolError);
  return e as PatrolError;
}

describe('parseManifest', () => {
  it('fills defaults', () => {
    const m = parseManifest(valid, 'm.json');
    expect(m.input.batch).toBe(1);
    expect(m.output.strides).toEqual([8, 16, 32]);
    expect(m.classes[0]!.threshold).toBe(0.35);
  });

  it('names the file, each field path, what was expected and what it got', () => {
    const bad = {
      ...valid,
      extra: true,
      input: { ...valid.input, width: '416', channelOrder: 'rgb' },
      classes: [{ name: 'garbage', threshold: 5 }],
    };
    const e = errorOf(() => parseManifest(bad, 'models/bad.json'));
    expect(e.message).toContain('models/bad.json');
    expect(e.message).toMatch(/input\.width: expected number, got "416"/);
    expect(e.message).toMatch(/input\.channelOrder: expected one of "RGB", "BGR", got "rgb"/);
    expect(e.message).toMatch(/classes\[0\]\.threshold: expected ≤ 1, got 5/);
    expect(e.message).toMatch(/unknown field "extra"/);
    expect(e.hint).toMatch(/models\/yolox_nano-coco\.json/);
    expect(e.message).not.toMatch(/\n\s+at /); // no stack trace in the message
  });

  it('exclusive class groups must name this model\'s classes, each class in one group at most', () => {
    const classes = [{ name: 'garbage_bin' }, { name: 'overflow' }, { name: 'garbage' }];
    expect(parseManifest({ ...valid, classes, exclusiveClasses: [['garbage_bin', 'overflow']] }, 'm.json').exclusiveClasses).toEqual([
      ['garbage_bin', 'overflow'],
    ]);
    const e = errorOf(() => parseManifest({ ...valid, classes, exclusiveClasses: [['garbage_bin', 'bin'], ['overflow', 'garbage_bin']] }, 'm.json'));
    expect(e.message).toMatch(/exclusiveClasses\[0\]\[1\]: "bin" is not one of this model's classes/);
    expect(e.message).toMatch(/exclusiveClasses\[1\]\[1\]: "garbage_bin" is in more than one group/);
  });

  it('a crop check fills its defaults and must name classes of this model', () => {
    const check = { file: 'check.onnx', classes: [{ name: 'garbage', threshold: 0.4 }] };
    expect(parseManifest({ ...valid, cropCheck: check }, 'm.json').cropCheck).toEqual({ ...check, input: 'crops', output: 'yes', size: 64, grow: 1.3, minSide: 12 });
    const e = errorOf(() => parseManifest({ ...valid, cropCheck: { ...check, classes: [{ name: 'fire', threshold: 0.4 }] } }, 'm.json'));
    expect(e.message).toMatch(/cropCheck\.classes\[0\]\.name: "fire" is not one of this model's classes/);
    const t = errorOf(() => parseManifest({ ...valid, cropCheck: { ...check, classes: [{ name: 'garbage', threshold: 1 }] } }, 'm.json'));
    expect(t.message).toMatch(/cropCheck\.classes\[0\]\.threshold: expected < 1, got 1/);
  });

  it('reports missing fields and a malformed sha256', () => {
    const { license: _l, ...noLicense } = valid;
    const e = errorOf(() => parseManifest({ ...noLicense, sha256: 'abc' }, 'm.json'));
    expect(e.message).toMatch(/license: required field is missing/);
    expect(e.message).toMatch(/sha256: expected 64 lowercase hex digits/);
  });
});

describe('loadManifest', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'patrol-detect-manifest-'));
    await writeFile(path.join(dir, 'tiny.onnx'), 'not really a model');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const write = async (name: string, body: unknown) => {
    const p = path.join(dir, name);
    await writeFile(p, typeof body === 'string' ? body : JSON.stringify(body));
    return p;
  };

  it('resolves the model file relative to the manifest folder', async () => {
    const p = await write('ok.json', valid);
    const r = await loadManifest(p);
    expect(r.modelPath).toBe(path.join(dir, 'tiny.onnx'));
    expect(r.manifest.name).toBe('tiny');
  });

  it('a missing manifest names the path', async () => {
    const e = await rejectionOf(loadManifest(path.join(dir, 'nope.json')));
    expect(e.message).toMatch(/nope\.json cannot be read: no such file/);
  });

  it('invalid JSON names the file', async () => {
    const e = await rejectionOf(loadManifest(await write('broken.json', '{"name": "x",}')));
    expect(e.message).toMatch(/broken\.json is not valid JSON/);
  });

  it('a missing model names the resolved path and how to get it', async () => {
    const e = await rejectionOf(loadManifest(await write('missing.json', { ...valid, file: 'gone.onnx' })));
    expect(e.message).toContain(path.join(dir, 'gone.onnx'));
    expect(e.message).toContain('missing.json');
    expect(e.hint).toMatch(/models\/README\.md/);
  });

  it('a missing stand-in from ../shared says that ../shared is absent', async () => {
    const e = await rejectionOf(
      loadManifest(await write('shared.json', { ...valid, file: '../no-such/shared/models/x.onnx' })),
    );
    expect(e.hint).toMatch(/\.\.\/shared is absent/);
  });

  it('verifies sha256 when given', async () => {
    const wrong = 'a'.repeat(64);
    const e = await rejectionOf(loadManifest(await write('sha.json', { ...valid, sha256: wrong })));
    expect(e.message).toMatch(/sha256 is [0-9a-f]{64}, the manifest expects a{64}/);
    await expect(loadManifest(path.join(dir, 'sha.json'), { verifySha256: false })).resolves.toBeDefined();
  });
});
