import { describe, expect, it } from 'vitest';
import { checkModelIo, checkOutputDims, type ModelIo } from '../../src/detect/check-model.js';
import { type ModelManifest, ModelManifestSchema } from '../../src/detect/manifest.js';
import { PatrolError } from '../../src/errors.js';

const ref = { name: 'tiny', modelPath: '/m/tiny.onnx', manifestPath: 'models/tiny.json' };

function manifest(over: { input?: object; output?: object; classes?: object[] } = {}): ModelManifest {
  return ModelManifestSchema.parse({
    name: 'tiny',
    file: 'tiny.onnx',
    input: { name: 'images', width: 416, height: 416, layout: 'NCHW', channelOrder: 'BGR', ...over.input },
    output: { name: 'output', format: 'yolox', ...over.output },
    classes: over.classes ?? Array.from({ length: 80 }, (_, i) => ({ name: `c${i}` })),
    license: 'x',
    provenance: 'x',
  });
}

function io(inShape: (number | string)[], outShape: (number | string)[], names = ['images', 'output']): ModelIo {
  return {
    inputNames: [names[0]!],
    outputNames: [names[1]!],
    inputMetadata: [{ name: names[0]!, isTensor: true, type: 'float32', shape: inShape }],
    outputMetadata: [{ name: names[1]!, isTensor: true, type: 'float32', shape: outShape }],
  };
}

const yoloxNano = io([1, 3, 416, 416], [1, 3549, 85]);

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(PatrolError);
    return (e as PatrolError).message;
  }
  throw new Error('expected an error');
}

describe('checkModelIo', () => {
  it('accepts a model that matches its manifest', () => {
    expect(checkModelIo(yoloxNano, manifest(), ref)).toEqual({ needsProbe: false });
  });

  it('names the wrong input and the real ones', () => {
    const m = message(() => checkModelIo(yoloxNano, manifest({ input: { name: 'input' } }), ref));
    expect(m).toMatch(/"tiny" \(\/m\/tiny\.onnx\)/);
    expect(m).toMatch(/input "input" expected, the model's inputs are "images"/);
  });

  it('names a wrong output', () => {
    expect(message(() => checkModelIo(yoloxNano, manifest({ output: { name: 'dets' } }), ref))).toMatch(
      /output "dets" expected, the model's outputs are "output"/,
    );
  });

  it('compares the input size', () => {
    expect(message(() => checkModelIo(yoloxNano, manifest({ input: { width: 320, height: 320 } }), ref))).toMatch(
      /shape expected \[1, 3, 320, 320\].*has \[1, 3, 416, 416\]/,
    );
  });

  it('rejects "dynamic" batch for a fixed-batch model', () => {
    expect(message(() => checkModelIo(yoloxNano, manifest({ input: { batch: 'dynamic' } }), ref))).toMatch(
      /batch is "dynamic" but the model's batch is fixed at 1/,
    );
  });

  it('counts classes: expected vs actual', () => {
    const m = message(() => checkModelIo(yoloxNano, manifest({ classes: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] }), ref));
    expect(m).toMatch(/should be \[1, 3549, 8\], the model declares \[1, 3549, 85\]/);
    expect(m).toMatch(/80 classes in the model, 3 in the manifest/);
  });

  it('asks for a probe when output dims are symbolic', () => {
    const dyn = io(['batch', 3, 416, 416], ['batch', 'anchors', 85]);
    expect(checkModelIo(dyn, manifest({ input: { batch: 'dynamic' } }), ref)).toEqual({ needsProbe: true });
  });
});

describe('checkOutputDims', () => {
  it('checks ultralytics [N, 4+C, A] and yolov5 [N, A, 5+C]', () => {
    const c2 = [{ name: 'a' }, { name: 'b' }];
    expect(() => checkOutputDims([1, 6, 8400], manifest({ output: { format: 'ultralytics' }, classes: c2 }), ref)).not.toThrow();
    expect(() => checkOutputDims([1, 25200, 7], manifest({ output: { format: 'yolov5' }, classes: c2 }), ref)).not.toThrow();
    expect(message(() => checkOutputDims([1, 84, 8400], manifest({ output: { format: 'ultralytics' }, classes: c2 }), ref))).toMatch(
      /80 classes in the model, 2 in the manifest/,
    );
  });

  it('explains a YOLOX anchor-count mismatch by input size and strides', () => {
    expect(message(() => checkOutputDims([1, 2100, 85], manifest(), ref))).toMatch(/2100 anchors in the model, 3549 for a 416×416 input/);
  });
});
