import path from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import type { Detection } from '../contracts/detections.js';
import type { Frame } from '../contracts/frame.js';
import { PatrolError } from '../errors.js';
import { type CropRule, cropRect, cropToChw } from './crop.js';
import { sha256File } from './load-manifest.js';
import { sessionOptions } from './session-options.js';
import type { ModelManifest } from './manifest.js';

type CropCheckSpec = NonNullable<ModelManifest['cropCheck']>;

/** Crops per inference: a frame rarely has more than a few boxes of a checked class; evaluation can have hundreds. */
const MAX_BATCH = 256;

/**
 * The score a checked box keeps: unchanged when the check passes it, shrunk in proportion to the check's
 * probability when it does not — a look-alike the detector was sure of falls under its threshold, while the
 * order among real boxes (what AP measures) is kept. Pure.
 */
export function checkedScore(score: number, probability: number, threshold: number): number {
  return score * Math.min(1, probability / threshold);
}

/**
 * A second look at each box of some classes (manifest `cropCheck`): the box's crop goes through a small
 * classifier trained on the detector's own mistakes, and its score is rescaled by the answer.
 */
export class CropCheck {
  /** Model class id → the check's output column. */
  private readonly columns: ReadonlyMap<number, number>;
  /** Per output column: the probability at which a box passes unchanged. */
  private readonly passAt: readonly number[];
  private readonly rule: CropRule;
  private readonly channelOrder: 'RGB' | 'BGR';

  private constructor(
    private readonly session: InferenceSession,
    private readonly spec: CropCheckSpec,
    manifest: ModelManifest,
  ) {
    this.columns = new Map(spec.classes.map((c, k) => [manifest.classes.findIndex((mc) => mc.name === c.name), k]));
    this.passAt = spec.classes.map((c) => c.threshold);
    this.rule = { size: spec.size, grow: spec.grow, minSide: spec.minSide };
    this.channelOrder = manifest.input.channelOrder;
  }

  /** Load the check named by the manifest; every failure names the file and the fix. */
  static async load(
    manifest: ModelManifest,
    manifestPath: string,
    opts: { verifySha256?: boolean; threads?: number } = {},
  ): Promise<CropCheck | undefined> {
    const spec = manifest.cropCheck;
    if (!spec) return undefined;
    const file = path.resolve(path.dirname(manifestPath), spec.file);
    const hint =
      `Restore ${spec.file} beside ${manifestPath} (it ships with the model; models/README.md shows how it is trained), ` +
      'or remove "cropCheck" from the manifest to run the detector without it.';
    if (spec.sha256 && opts.verifySha256 !== false) {
      const actual = await sha256File(file).catch((err: NodeJS.ErrnoException) => {
        throw new PatrolError(`The crop check of "${manifest.name}" cannot be read: ${file}: ${err.code ?? err.message}.`, hint);
      });
      if (actual !== spec.sha256) {
        throw new PatrolError(`The crop check ${file} of "${manifest.name}" has sha256 ${actual}, the manifest expects ${spec.sha256}.`, hint);
      }
    }
    let session: InferenceSession;
    try {
      session = await InferenceSession.create(file, sessionOptions(opts.threads ?? 1));
    } catch (err) {
      throw new PatrolError(`The crop check of "${manifest.name}" could not be loaded from ${file}: ${String((err as Error).message ?? err).split('\n')[0]}.`, hint);
    }
    if (!session.inputNames.includes(spec.input) || !session.outputNames.includes(spec.output)) {
      await session.release();
      throw new PatrolError(
        `The crop check ${file} has inputs ${session.inputNames.join(', ')} and outputs ${session.outputNames.join(', ')}; ` +
          `the manifest names "${spec.input}" and "${spec.output}".`,
        'Correct cropCheck.input / cropCheck.output in the manifest to the names the model uses.',
      );
    }
    return new CropCheck(session, spec, manifest);
  }

  /**
   * Rescale the scores of the checked classes' boxes in each frame's detections, and drop the boxes that fall
   * under their class threshold (`thresholds[classId]`, the same the detector decoded with). Other boxes pass as
   * they are. `items[k]` belongs to `frames[k]`.
   */
  async apply(frames: readonly Frame[], items: Detection[][], thresholds: ArrayLike<number>): Promise<Detection[][]> {
    const jobs: { frame: number; item: number; column: number; rect: [number, number, number, number] }[] = [];
    items.forEach((list, k) => {
      const f = frames[k]!;
      list.forEach((d, i) => {
        const column = this.columns.get(d.classId);
        if (column === undefined) return;
        const rect = cropRect(d.box, f, this.rule);
        if (rect) jobs.push({ frame: k, item: i, column, rect });
      });
    });
    // Nearly every frame: nothing to look at again, the lists go on as they are.
    if (jobs.length === 0) return items;
    const probabilities = new Float32Array(jobs.length);
    const per = 3 * this.rule.size * this.rule.size;
    for (let start = 0; start < jobs.length; start += MAX_BATCH) {
      const chunk = jobs.slice(start, start + MAX_BATCH);
      const data = new Float32Array(chunk.length * per);
      chunk.forEach((j, n) => {
        const f = frames[j.frame]!;
        const source = { data: f.data, width: f.width, contentWidth: f.contentWidth, contentHeight: f.contentHeight, swapRedBlue: (f.pixelFormat === 'rgb24') !== (this.channelOrder === 'RGB') };
        cropToChw(source, j.rect, this.rule.size, data, n * per);
      });
      const input = new Tensor('float32', data, [chunk.length, 3, this.rule.size, this.rule.size]);
      const out = (await this.session.run({ [this.spec.input]: input }, [this.spec.output]))[this.spec.output];
      const k = this.columns.size;
      if (!out || !(out.data instanceof Float32Array) || out.data.length !== chunk.length * k) {
        throw new Error(`crop check: output "${this.spec.output}" is not [${chunk.length},${k}] float32 (one column per checked class)`);
      }
      const got = out.data;
      chunk.forEach((j, n) => (probabilities[start + n] = got[n * k + j.column]!));
    }
    // Copies of the checked boxes only: the caller's detections are not modified.
    const rescored = items.map((l) => [...l]);
    jobs.forEach((j, n) => {
      const list = rescored[j.frame]!;
      const d = list[j.item]!;
      list[j.item] = { ...d, score: checkedScore(d.score, probabilities[n]!, this.passAt[j.column]!) };
    });
    return rescored.map((l) => l.filter((d) => !this.columns.has(d.classId) || d.score >= (thresholds[d.classId] ?? 0)));
  }

  release(): Promise<void> {
    return this.session.release();
  }
}
