import { InferenceSession, Tensor } from 'onnxruntime-node';
import { PatrolError } from '../errors.js';
import type { Frame } from '../contracts/frame.js';
import { checkModelIo, checkOutputDims, type ModelRef } from './check-model.js';
import type { Detections } from '../contracts/detections.js';
import { CropCheck } from './crop-check.js';
import { loadManifest } from './load-manifest.js';
import { sessionOptions } from './session-options.js';
import type { ModelManifest } from './manifest.js';
import { type PostprocessSpec, postprocess, postprocessSpec } from './postprocess.js';
import { type ChwTransform, hwcToChw, makeChwTransform } from './preprocess.js';

export interface DetectorOptions {
  /** ONNX Runtime intra-op threads for this model's session. Default 1. */
  threads?: number;
  /** Largest batch per inference when the model's batch is dynamic. Default 8. */
  maxBatch?: number;
  /** Verify the manifest's sha256 at load (default true). */
  verifySha256?: boolean;
  /**
   * Let idle intra-op threads busy-wait for work (ONNX Runtime's default). Default false: the same cores run
   * ffmpeg decoders, and spinning threads steal their CPU — measured 2 threads slower than 1 under load with it on.
   */
  spin?: boolean;
  /**
   * Decode with this one score threshold for every class instead of the manifest's per-class thresholds —
   * for evaluation (AP needs the whole PR curve, e.g. 0.001). Production leaves it unset.
   */
  scoreThreshold?: number;
  /** Per-class thresholds replacing the manifest's for these labels (the burning check's lower candidate thresholds). */
  classThresholds?: Readonly<Record<string, number>>;
  /** Run the manifest's crop check when it has one (default true); false measures the detector alone. */
  cropCheck?: boolean;
}

/** What the detector runs, for logs and summaries ("which model it ran"). */
export interface DetectorInfo {
  name: string;
  version: string;
  modelPath: string;
  manifestPath: string;
  inputWidth: number;
  inputHeight: number;
  /** Frames per inference: fixed by the model, or up to maxBatch when dynamic. */
  batch: number;
  dynamicBatch: boolean;
  threads: number;
  /** Classes whose boxes the manifest's crop check looks at again; empty when it has none or it is off. */
  cropChecked: string[];
}

interface BatchBuffer {
  data: Float32Array;
  tensor: Tensor;
}

/**
 * One ONNX model: one InferenceSession loaded once, fed letterboxed frames, returning detections in
 * coordinates of the camera picture. Calls to `detect` are serialized (one inference in flight per session).
 */
export class Detector {
  readonly info: DetectorInfo;
  readonly manifest: ModelManifest;
  private readonly spec: PostprocessSpec;
  /** One reused input buffer per batch size: no per-frame allocation of the big float tensor. */
  private readonly buffers = new Map<number, BatchBuffer>();
  private readonly transforms = new Map<Frame['pixelFormat'], ChwTransform>();
  private tail: Promise<unknown> = Promise.resolve();
  private released = false;

  private constructor(
    private readonly session: InferenceSession,
    private readonly cropCheck: CropCheck | undefined,
    manifest: ModelManifest,
    info: DetectorInfo,
    scoreThreshold: number | undefined,
    classThresholds: Readonly<Record<string, number>> | undefined,
  ) {
    this.manifest = manifest;
    this.info = info;
    const override =
      scoreThreshold !== undefined
        ? new Float32Array(manifest.classes.length).fill(scoreThreshold)
        : classThresholds
          ? Float32Array.from(manifest.classes, (c) => classThresholds[c.name] ?? c.threshold)
          : undefined;
    this.spec = postprocessSpec(manifest, override);
  }

  /** Model name, for logs and the pipeline's summary. */
  get name(): string {
    return this.info.name;
  }

  /** Frames worth handing to one `detect` call: the model's batch (1 for fixed batch-1 exports). */
  get maxBatch(): number {
    return this.info.batch;
  }

  static async load(manifestPath: string, opts: DetectorOptions = {}): Promise<Detector> {
    const loaded = await loadManifest(manifestPath, { verifySha256: opts.verifySha256 });
    const { manifest: m, modelPath } = loaded;
    const threads = opts.threads ?? 1;
    const ref: ModelRef = { name: m.name, modelPath, manifestPath };
    let session: InferenceSession;
    try {
      session = await InferenceSession.create(modelPath, sessionOptions(threads, opts.spin));
    } catch (err) {
      throw new PatrolError(
        `Model "${m.name}" could not be loaded by ONNX Runtime from ${modelPath}: ${firstLine(err)}.`,
        'The file is not a valid ONNX model for this runtime (truncated download, Git LFS pointer, or an opset ' +
          'newer than onnxruntime-node supports). Re-export it as described in models/README.md.',
      );
    }
    let cropCheck: CropCheck | undefined;
    try {
      const { needsProbe } = checkModelIo(session, m, ref);
      // After the model's own checks: a wrong model is the first thing to fix.
      if (opts.cropCheck !== false) cropCheck = await CropCheck.load(m, loaded.manifestPath, { verifySha256: opts.verifySha256, threads });
      const dynamicBatch = m.input.batch === 'dynamic';
      const batch = dynamicBatch ? Math.max(1, opts.maxBatch ?? 8) : (m.input.batch as number);
      const detector = new Detector(session, cropCheck, m, {
        name: m.name,
        version: m.version,
        modelPath,
        manifestPath: loaded.manifestPath,
        inputWidth: m.input.width,
        inputHeight: m.input.height,
        batch,
        dynamicBatch,
        threads,
        cropChecked: cropCheck ? (m.cropCheck?.classes ?? []).map((c) => c.name) : [],
      }, opts.scoreThreshold, opts.classThresholds);
      // Symbolic output dims: learn the real ones from one inference on a blank batch.
      if (needsProbe) {
        const size = dynamicBatch ? 1 : batch;
        const out = await detector.infer(detector.buffer(size));
        checkOutputDims(out.dims, m, ref);
      }
      return detector;
    } catch (err) {
      await session.release().catch(() => undefined);
      await cropCheck?.release().catch(() => undefined);
      throw err;
    }
  }

  /**
   * Detect objects in frames (any number; batched per the model). Frames must be the model's input size,
   * letterboxed at top-left. Returns one Detections per frame, in order.
   */
  detect(frames: readonly Frame[]): Promise<Detections[]> {
    if (this.released) return Promise.reject(new Error(`Detector "${this.info.name}" was released`));
    const run = this.tail.then(() => this.detectNow(frames));
    this.tail = run.catch(() => undefined);
    return run;
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    // Let calls already queued finish first.
    await this.tail;
    await this.session.release();
    await this.cropCheck?.release();
  }

  private async detectNow(frames: readonly Frame[]): Promise<Detections[]> {
    for (const f of frames) this.checkFrame(f);
    const results: Detections[] = [];
    const step = this.info.batch;
    for (let start = 0; start < frames.length; start += step) {
      const chunk = frames.slice(start, start + step);
      // A fixed-batch model always gets its full batch; unused slots keep stale data and are ignored.
      const buf = this.buffer(this.info.dynamicBatch ? chunk.length : step);
      const plane = this.info.inputWidth * this.info.inputHeight;
      chunk.forEach((f, k) => hwcToChw(f.data, plane, this.transform(f.pixelFormat), buf.data, k * 3 * plane));
      const out = await this.infer(buf);
      const per = out.data.length / (out.dims[0] ?? 1);
      let items = chunk.map((f, k) => postprocess(out.data.subarray(k * per, (k + 1) * per), this.spec, f));
      if (this.cropCheck) items = await this.cropCheck.apply(chunk, items, this.spec.decode.thresholds);
      chunk.forEach((f, k) => results.push({ cameraId: f.cameraId, timestamp: f.timestamp, model: this.info.name, items: items[k]! }));
    }
    return results;
  }

  private async infer(buf: BatchBuffer): Promise<{ data: Float32Array; dims: readonly number[] }> {
    const m = this.manifest;
    const res = await this.session.run({ [m.input.name]: buf.tensor }, [m.output.name]);
    const out = res[m.output.name];
    if (!out || !(out.data instanceof Float32Array)) {
      throw new Error(`Model "${m.name}": output "${m.output.name}" is missing or not float32`);
    }
    if (out.dims[0] !== buf.tensor.dims[0]) {
      throw new Error(`Model "${m.name}": output batch ${out.dims[0]} for an input batch of ${buf.tensor.dims[0]}`);
    }
    return { data: out.data, dims: out.dims };
  }

  private buffer(size: number): BatchBuffer {
    let b = this.buffers.get(size);
    if (!b) {
      const { inputWidth: w, inputHeight: h } = this.info;
      const data = new Float32Array(size * 3 * h * w);
      b = { data, tensor: new Tensor('float32', data, [size, 3, h, w]) };
      this.buffers.set(size, b);
    }
    return b;
  }

  private transform(fmt: Frame['pixelFormat']): ChwTransform {
    let t = this.transforms.get(fmt);
    if (!t) {
      t = makeChwTransform(fmt, this.manifest.input);
      this.transforms.set(fmt, t);
    }
    return t;
  }

  private checkFrame(f: Frame): void {
    const { inputWidth: w, inputHeight: h, name } = this.info;
    if (f.width !== w || f.height !== h) {
      throw new PatrolError(
        `Camera ${f.cameraId}: frame is ${f.width}×${f.height} but model "${name}" takes ${w}×${h}.`,
        "Frames must be scaled and letterboxed to the detector's input size by ingest; check the camera's detector setting.",
      );
    }
    if (f.data.length < w * h * 3) {
      throw new Error(`Camera ${f.cameraId}: frame buffer has ${f.data.length} bytes, expected ${w * h * 3}`);
    }
    if (f.contentWidth <= 0 || f.contentHeight <= 0 || f.contentWidth > w || f.contentHeight > h) {
      throw new Error(`Camera ${f.cameraId}: content ${f.contentWidth}×${f.contentHeight} outside the ${w}×${h} frame`);
    }
  }
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0]!.replace(/\.$/, '');
}
