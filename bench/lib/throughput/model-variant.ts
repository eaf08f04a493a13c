/**
 * Batch sweep support: a model exported with a fixed batch of 1 cannot run batch 4/8/16. For such a model
 * this makes a temporary copy with a dynamic batch axis (bench/lib/throughput/dynamic-batch.py, needs Python with the
 * `onnx` package) and its manifest, then checks on real frames that the copy detects what the original does.
 * The shipped model and manifest are never touched.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Detections } from '../../../src/contracts/detections.js';
import { Detector } from '../../../src/detect/detector.js';
import { loadManifest } from '../../../src/detect/load-manifest.js';
import type { Frame } from '../../../src/contracts/frame.js';

const SCRIPT = fileURLToPath(new URL('./dynamic-batch.py', import.meta.url));
const PYTHONS = [process.env.PATROL_BENCH_PYTHON, '/usr/bin/python3', 'python3'].filter((p): p is string => !!p);

export interface BatchModel {
  /** Manifest to load for batch > 1. */
  manifest: string;
  dynamic: boolean;
  /** How the dynamic-batch model came about (for the report). */
  note: string;
}

export async function dynamicBatchModel(manifestPath: string, frames: readonly Frame[]): Promise<BatchModel> {
  const { manifest, modelPath } = await loadManifest(manifestPath, { verifySha256: false });
  if (manifest.input.batch === 'dynamic') return { manifest: manifestPath, dynamic: true, note: 'the model has a dynamic batch axis' };
  if (manifest.input.batch !== 1) return { manifest: manifestPath, dynamic: false, note: `fixed batch ${manifest.input.batch}: other batch sizes not measured` };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'patrol-bench-model-'));
  const onnx = path.join(dir, 'model-dynamic.onnx');
  let made = false;
  let why = '';
  for (const py of PYTHONS) {
    try {
      execFileSync(py, [SCRIPT, modelPath, onnx], { stdio: ['ignore', 'ignore', 'pipe'] });
      made = true;
      break;
    } catch (err) {
      why = String((err as { stderr?: Buffer }).stderr ?? (err as Error).message).trim().split('\n').pop() ?? '';
    }
  }
  if (!made) return { manifest: manifestPath, dynamic: false, note: `fixed batch 1 and no dynamic-batch copy could be made (${why}): batch N runs N batch-1 inferences` };
  const variant = path.join(dir, 'model-dynamic.json');
  writeFileSync(variant, JSON.stringify({ ...manifest, file: onnx, sha256: undefined, input: { ...manifest.input, batch: 'dynamic' } }, null, 2));
  // Same detections from the copy at batch 4 as from the original at batch 1, or it is not used.
  const sample = frames.slice(0, 4);
  const a = await Detector.load(manifestPath, { threads: 1, verifySha256: false });
  const b = await Detector.load(variant, { threads: 1, maxBatch: sample.length, verifySha256: false });
  try {
    const ra = await a.detect(sample);
    const rb = await b.detect(sample);
    const diff = maxDifference(ra, rb);
    if (!(diff <= 1e-3)) {
      return { manifest: manifestPath, dynamic: false, note: `the dynamic-batch copy disagreed with the original (max difference ${diff}): batch N runs N batch-1 inferences` };
    }
    return {
      manifest: variant,
      dynamic: true,
      note: `fixed batch 1 in the shipped file; batch > 1 measured on a temporary copy with a dynamic batch axis (Reshape [1,…] → [0,…]), detections verified equal to the original on ${sample.length} frames (max difference ${diff.toExponential(1)})`,
    };
  } finally {
    await a.release();
    await b.release();
  }
}

/** Largest difference in score or box coordinate between two detection lists; Infinity when counts differ. */
export function maxDifference(a: readonly Detections[], b: readonly Detections[]): number {
  if (a.length !== b.length) return Infinity;
  let d = 0;
  for (let k = 0; k < a.length; k++) {
    const x = a[k]!.items;
    const y = b[k]!.items;
    if (x.length !== y.length) return Infinity;
    for (let j = 0; j < x.length; j++) {
      if (x[j]!.classId !== y[j]!.classId) return Infinity;
      d = Math.max(d, Math.abs(x[j]!.score - y[j]!.score), ...x[j]!.box.map((v, i) => Math.abs(v - y[j]!.box[i]!)));
    }
  }
  return d;
}
