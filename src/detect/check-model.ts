import type { InferenceSession } from 'onnxruntime-node';
import { PatrolError } from '../errors.js';
import { yoloxAnchorCount } from './decode-yolox.js';
import type { ModelManifest } from './manifest.js';

/** The parts of an InferenceSession that describe its tensors (so the checks are testable without a model). */
export interface ModelIo {
  inputNames: readonly string[];
  outputNames: readonly string[];
  inputMetadata: readonly InferenceSession.ValueMetadata[];
  outputMetadata: readonly InferenceSession.ValueMetadata[];
}

type Dim = number | string;

/** Where a mismatch is reported: "model NAME (FILE), manifest MANIFEST". */
export interface ModelRef {
  name: string;
  modelPath: string;
  manifestPath: string;
}

const mismatchHint = (ref: ModelRef) =>
  `The manifest ${ref.manifestPath} does not describe ${ref.modelPath}. Fix the manifest to match the model ` +
  '(or point "file" at the model it was written for); models/README.md shows how manifests are generated at export.';

/**
 * Check the model's declared tensors against the manifest: input/output names, input dtype and NCHW shape,
 * batch, and — where the model declares them — the output dims for the manifest's format and class count.
 * Returns true when the output shape could not be fully checked from metadata (symbolic dims), so the
 * caller should run one inference and check the real dims with `checkOutputDims`.
 */
export function checkModelIo(io: ModelIo, m: ModelManifest, ref: ModelRef): { needsProbe: boolean } {
  const fail = (what: string) => {
    throw new PatrolError(`Model "${m.name}" (${ref.modelPath}) does not match its manifest: ${what}.`, mismatchHint(ref));
  };
  if (!io.inputNames.includes(m.input.name)) {
    fail(`input "${m.input.name}" expected, the model's inputs are ${list(io.inputNames)}`);
  }
  if (!io.outputNames.includes(m.output.name)) {
    fail(`output "${m.output.name}" expected, the model's outputs are ${list(io.outputNames)}`);
  }
  const inMeta = io.inputMetadata.find((v) => v.name === m.input.name);
  if (inMeta?.isTensor) {
    if (inMeta.type !== 'float32') fail(`input "${m.input.name}" is ${inMeta.type}, Patrol feeds float32`);
    const shape = inMeta.shape;
    if (shape.length > 0) {
      const want: Dim[] = [m.input.batch === 'dynamic' ? 'N' : m.input.batch, 3, m.input.height, m.input.width];
      if (m.input.batch === 'dynamic' && typeof shape[0] === 'number') {
        fail(`input.batch is "dynamic" but the model's batch is fixed at ${shape[0]} (set input.batch to ${shape[0]})`);
      }
      // Symbolic (string) dims accept anything; numeric ones must equal the manifest's.
      const bad = shape.length !== 4 || want.some((w, k) => typeof shape[k] === 'number' && shape[k] !== w);
      if (bad) fail(`input "${m.input.name}" shape expected ${fmt(want)} (NCHW from input.*), the model has ${fmt(shape)}`);
    }
  }
  const outMeta = io.outputMetadata.find((v) => v.name === m.output.name);
  if (!outMeta?.isTensor || outMeta.shape.length === 0) return { needsProbe: true };
  checkOutputDims(outMeta.shape, m, ref, 'declares');
  return { needsProbe: !outMeta.shape.slice(1).every((d) => typeof d === 'number') };
}

/**
 * Check output dims (declared or from a real run) against the manifest's format and class count.
 * Symbolic dims (strings) are accepted as anything.
 */
export function checkOutputDims(dims: readonly Dim[], m: ModelManifest, ref: ModelRef, verb = 'produces'): void {
  const C = m.classes.length;
  const want = expectedOutputDims(m);
  const ok =
    dims.length === 3 && want.every((w, k) => typeof w !== 'number' || typeof dims[k] !== 'number' || dims[k] === w);
  if (ok) return;
  let why = '';
  const perAnchor = m.output.format === 'ultralytics' ? dims[1] : dims[2];
  const extra = m.output.format === 'ultralytics' ? 4 : 5;
  if (dims.length === 3 && typeof perAnchor === 'number' && perAnchor !== extra + C) {
    why = ` — ${perAnchor - extra} classes in the model, ${C} in the manifest's "classes"`;
  } else if (m.output.format === 'yolox' && dims.length === 3 && typeof dims[1] === 'number' && dims[1] !== want[1]) {
    why = ` — ${dims[1]} anchors in the model, ${String(want[1])} for a ${m.input.width}×${m.input.height} input with strides ${m.output.strides.join('/')}`;
  }
  throw new PatrolError(
    `Model "${m.name}" (${ref.modelPath}) does not match its manifest: output "${m.output.name}" for format ` +
      `"${m.output.format}" should be ${fmt(want)}, the model ${verb} ${fmt(dims)}${why}.`,
    mismatchHint(ref),
  );
}

/** Output shape the manifest implies; 'N' = batch, 'A' = any anchor count. */
export function expectedOutputDims(m: ModelManifest): Dim[] {
  const C = m.classes.length;
  const N: Dim = m.input.batch === 'dynamic' ? 'N' : m.input.batch;
  switch (m.output.format) {
    case 'yolox':
      return [N, yoloxAnchorCount(m.input.width, m.input.height, m.output.strides), 5 + C];
    case 'yolov5':
      return [N, 'A', 5 + C];
    case 'ultralytics':
      return [N, 4 + C, 'A'];
  }
}

function fmt(dims: readonly Dim[]): string {
  return `[${dims.join(', ')}]`;
}

function list(names: readonly string[]): string {
  return names.length ? names.map((n) => `"${n}"`).join(', ') : '(none)';
}
