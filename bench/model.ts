/**
 * bench:model — accuracy and latency of the shipped detectors through the production code path.
 *
 *   npm run bench:model                               every models/*.json (except the teacher) on ../shared's valid splits
 *   npm run bench:model -- --model models/X.json      one model
 *   npm run bench:model -- --data DIR --names 0=garbage,1=garbage_bin   your own YOLO-format folder
 *
 * Options: --teacher M.json (pseudo-labels for retained COCO classes; default models/yolox_nano-coco.json),
 * --out DIR (bench/results), --targets FILE (bench/targets.json), --threads N (evaluation pass, default 2),
 * --limit N (first N images per dataset), --skip-latency.
 * Exit status: 0 targets met, 1 a target missed, 2 bad input (message and fix, no stack trace).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Box } from '../src/contracts/box.js';
import type { Detection } from '../src/contracts/detections.js';
import { Detector } from '../src/detect/detector.js';
import { loadManifest, sha256File } from '../src/detect/load-manifest.js';
import { ModelManifestSchema } from '../src/detect/manifest.js';
import { PatrolError } from '../src/errors.js';
import { boxesFoundByCentre, type ClassEval, evaluateClass, operatingPoint, type ScoredBox } from './lib/model/ap.js';
import { measureLatency } from './lib/model/latency.js';
import { prCurvesSvg } from './lib/model/pr-svg.js';
import { Progress } from './lib/shared/progress.js';
import { markdownReport } from './lib/model/report.js';
import { detectImages, imageFrame } from './lib/shared/run-images.js';
import { type Check, type ClassResult, checkTargets, type DatasetClassResult, type LatencyRow, type ModelResult, type Targets, TargetsSchema } from './lib/model/targets.js';
import { loadTargetsSection } from './lib/shared/targets-file.js';
import { type LabelledImage, parseNames, readYoloFolder, sharedValidSets } from './lib/model/yolo-dataset.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const EVAL_MIN_SCORE = 0.001;

interface Args {
  models: string[];
  teacher?: string;
  data?: string;
  names?: string;
  out: string;
  targets: string;
  threads: number;
  limit?: number;
  latency: boolean;
  /** Filled from the targets file: the (dataset, class) pairs to evaluate on their own. */
  datasetTargets: Targets['ap50ByDataset'];
}

function parse(argv: string[]): Args {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string', multiple: true },
      teacher: { type: 'string' },
      data: { type: 'string' },
      names: { type: 'string' },
      out: { type: 'string', default: path.join(REPO, 'bench/results') },
      targets: { type: 'string', default: path.join(REPO, 'bench/targets.json') },
      threads: { type: 'string', default: '2' },
      limit: { type: 'string' },
      'skip-latency': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const teacher = values.teacher ?? path.join(REPO, 'models/yolox_nano-coco.json');
  let models = values.model ?? [];
  if (models.length === 0) {
    const dir = path.join(REPO, 'models');
    models = existsSync(dir)
      ? readdirSync(dir)
          .filter((f) => f.endsWith('.json'))
          .map((f) => path.join(dir, f))
          .filter((f) => path.resolve(f) !== path.resolve(teacher))
      : [];
    if (models.length === 0) {
      throw new PatrolError(
        'No models to benchmark: models/ holds no manifest besides the teacher.',
        'Train and export a model (models/README.md), or pass --model models/NAME.json.',
      );
    }
  }
  if (values.data && !values.names) {
    throw new PatrolError('--data needs --names to map the folder\'s class ids to the model\'s classes.', 'Example: --names 0=garbage,1=garbage_bin,2=overflow');
  }
  const int = (v: string | undefined, flag: string) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new PatrolError(`${flag} expects a positive integer, got "${v}".`, `Example: ${flag} 2`);
    return n;
  };
  return {
    models,
    teacher: existsSync(teacher) ? teacher : undefined,
    data: values.data,
    names: values.names,
    out: values.out!,
    targets: values.targets!,
    threads: int(values.threads, '--threads')!,
    limit: int(values.limit, '--limit'),
    latency: !values['skip-latency'],
    datasetTargets: {},
  };
}

function loadData(a: Args): { images: LabelledImage[]; labelled: Set<string>; datasets: { name: string; images: number }[] } {
  let sets: { dir: string; dataset: string; names: Map<number, string>; unlabelled?: string[] }[];
  if (a.data) {
    sets = [{ dir: a.data, dataset: path.basename(path.resolve(a.data)), names: parseNames(a.names!) }];
  } else {
    const shared = path.resolve(REPO, '../shared');
    if (!existsSync(path.join(shared, 'data/images'))) {
      throw new PatrolError(
        `No evaluation data: ${shared}/data/images is absent (../shared is not beside this checkout).`,
        'Pass your own labelled footage: --data DIR --names 0=garbage,1=fire,... (YOLO format: DIR/images, DIR/labels).',
      );
    }
    sets = sharedValidSets(shared).filter((s) => existsSync(s.dir));
  }
  const images: LabelledImage[] = [];
  const datasets: { name: string; images: number }[] = [];
  const labelled = new Set<string>();
  for (const s of sets) {
    const imgs = readYoloFolder(s.dir, s.names, s.dataset).slice(0, a.limit);
    if (s.unlabelled) for (const img of imgs) img.unlabelled = s.unlabelled;
    images.push(...imgs);
    datasets.push({ name: s.dataset, images: imgs.length });
    for (const n of s.names.values()) labelled.add(n);
  }
  if (images.length === 0) throw new PatrolError(`No images found in ${sets.map((s) => s.dir).join(', ')}.`, 'Check --data.');
  return { images, labelled, datasets };
}

/** Ground truth per class name: image index → boxes. */
type Truth = Map<string, Map<number, Box[]>>;

function addTruth(t: Truth, label: string, image: number, box: Box): void {
  let byImage = t.get(label);
  if (!byImage) t.set(label, (byImage = new Map()));
  let boxes = byImage.get(image);
  if (!boxes) byImage.set(image, (boxes = []));
  boxes.push(box);
}

function scoredByClass(dets: readonly Detection[][], images?: readonly LabelledImage[]): Map<string, ScoredBox[]> {
  const out = new Map<string, ScoredBox[]>();
  dets.forEach((items, image) => {
    const skip = images?.[image]?.unlabelled;
    for (const d of items) {
      if (skip?.includes(d.label)) continue;
      let list = out.get(d.label);
      if (!list) out.set(d.label, (list = []));
      list.push({ image, score: d.score, box: d.box });
    }
  });
  return out;
}

async function runModel(label: string, det: Detector, files: string[]): Promise<Detection[][]> {
  const p = new Progress(label, files.length);
  return detectImages(det, files, (n) => p.tick(n));
}

/**
 * AP50 of each (dataset, class) pair named in the targets, on that dataset's images alone; beside it AP at IoU 0.3
 * and the boxes found by centre at the class threshold, which tell a detector on the wrong spot from labels drawn
 * far looser than the object (cctv_fire/valid's fire boxes).
 */
function perDataset(wanted: Targets['ap50ByDataset'], images: readonly LabelledImage[], scored: Map<string, ScoredBox[]>, truth: Truth, thresholds: ReadonlyMap<string, number>): DatasetClassResult[] {
  const out: DatasetClassResult[] = [];
  for (const [dataset, classes] of Object.entries(wanted)) {
    const inSet = new Set(images.flatMap((img, i) => (img.dataset === dataset ? [i] : [])));
    if (inSet.size === 0) continue;
    for (const label of Object.keys(classes)) {
      const gt = new Map([...(truth.get(label) ?? new Map<number, Box[]>())].filter(([i]) => inSet.has(i)));
      const dets = (scored.get(label) ?? []).filter((b) => inSet.has(b.image));
      const e = evaluateClass(dets, gt, [0.5, 0.3]);
      const threshold = thresholds.get(label);
      const r: DatasetClassResult = { dataset, label, nGt: e.nGt, ap50: e.ap50, ap30: e.ap[1] };
      if (threshold !== undefined) Object.assign(r, { threshold, foundByCentre: boxesFoundByCentre(dets, gt, threshold).found });
      out.push(r);
    }
  }
  return out;
}

/** Detections per image of each model run so far, by resolved manifest path. */
type RunCache = Map<string, Detection[][]>;

async function benchModel(manifest: string, a: Args, data: ReturnType<typeof loadData>, runCache: RunCache) {
  const t0 = Date.now();
  const files = data.images.map((i) => i.path);
  const student = await Detector.load(manifest, { threads: a.threads, scoreThreshold: EVAL_MIN_SCORE, maxBatch: 8 });
  const m = student.manifest;
  // Runs are cached by manifest, so a model benchmarked against itself as teacher runs once.
  const key = path.resolve(manifest);
  let dets = runCache.get(key);
  if (!dets) {
    dets = await runModel(`${m.name}`, student, files);
    runCache.set(key, dets);
  }
  await student.release();

  // Ground truth: human labels for the classes the data labels; the teacher's detections for other classes
  // the student shares with the teacher (pseudo-labels, "retained COCO classes").
  const truth: Truth = new Map();
  data.images.forEach((img, i) => img.boxes.forEach((b) => addTruth(truth, b.label, i, b.box)));
  let teacherName: string | undefined;
  let teacherAll: Detection[][] | undefined;
  let teacherThr = new Map<string, number>();
  const pseudoLabels = new Set<string>();
  if (a.teacher) {
    const teacher = await Detector.load(a.teacher, { threads: a.threads, scoreThreshold: EVAL_MIN_SCORE, maxBatch: 8 });
    teacherName = teacher.manifest.name;
    teacherThr = new Map(teacher.manifest.classes.map((c) => [c.name, c.threshold]));
    const shared = m.classes.some((c) => teacherThr.has(c.name) && !data.labelled.has(c.name));
    if (shared) {
      const tkey = path.resolve(a.teacher);
      teacherAll = runCache.get(tkey);
      if (!teacherAll) {
        teacherAll = await runModel(`${teacherName} (teacher)`, teacher, files);
        runCache.set(tkey, teacherAll);
      }
      teacherAll.forEach((items, i) => {
        for (const d of items) {
          if (data.labelled.has(d.label) || !m.classes.some((c) => c.name === d.label)) continue;
          if (d.score >= teacherThr.get(d.label)!) {
            addTruth(truth, d.label, i, d.box);
            pseudoLabels.add(d.label);
          }
        }
      });
    }
    await teacher.release();
  }

  const studentByClass = scoredByClass(dets, data.images);
  const teacherByClass = teacherAll ? scoredByClass(teacherAll, data.images) : new Map<string, ScoredBox[]>();
  const classes: ClassResult[] = [];
  const evals: { label: string; e: ClassEval; threshold: number }[] = [];
  for (const c of m.classes) {
    const gt = truth.get(c.name);
    const source = data.labelled.has(c.name) ? 'labels' : pseudoLabels.has(c.name) ? 'pseudo' : undefined;
    if (!gt || !source) continue;
    const e = evaluateClass(studentByClass.get(c.name) ?? [], gt);
    const op = operatingPoint(e, c.threshold);
    const r: ClassResult = { label: c.name, source, nGt: e.nGt, ap50: e.ap50, ap5095: e.ap5095, threshold: c.threshold, precision: op.precision, recall: op.recall };
    if (source === 'pseudo') r.teacherAp50 = evaluateClass(teacherByClass.get(c.name) ?? [], gt, [0.5]).ap50;
    classes.push(r);
    evals.push({ label: c.name, e, threshold: c.threshold });
  }

  const latency: LatencyRow[] = [];
  if (a.latency) {
    const sample = await Promise.all(files.slice(0, 16).map((f, i) => imageFrame(student, f, i)));
    for (const threads of [1, 2]) {
      const d = await Detector.load(manifest, { threads, maxBatch: 8 });
      for (const batch of [1, 8]) {
        const r = await measureLatency(d, sample, { batch, warmup: 2, iterations: batch === 1 ? 40 : 6 });
        latency.push({ threads, batch, msPerFrame: r.msPerFrame, p50CallMs: r.p50CallMs, p95CallMs: r.p95CallMs });
      }
      await d.release();
    }
  }
  const info = student.info;
  return {
    result: { model: m.name, classes, latency, byDataset: perDataset(a.datasetTargets, data.images, studentByClass, truth, new Map(m.classes.map((c) => [c.name, c.threshold]))) } satisfies ModelResult,
    evals,
    meta: {
      version: m.version,
      modelFile: path.relative(REPO, info.modelPath),
      sha256: await sha256File(info.modelPath),
      input: `${info.inputWidth}×${info.inputHeight} ${m.input.channelOrder}`,
      batchNote: info.dynamicBatch
        ? 'Dynamic batch: batch 8 is one inference.'
        : `Batch fixed at ${info.batch} in the export: batch 8 runs as ${8 / info.batch} inferences.`,
      teacher: teacherAll ? teacherName : undefined,
      seconds: (Date.now() - t0) / 1000,
    },
  };
}

function environment(): string[] {
  const require = createRequire(import.meta.url);
  const ortVersion = (require('onnxruntime-node/package.json') as { version: string }).version;
  const cpus = os.cpus();
  return [
    `${new Date().toISOString()}, ${cpus[0]?.model ?? 'cpu'} × ${cpus.length}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} at the end (other work on the machine inflates latency)`,
    `Node ${process.version}, onnxruntime-node ${ortVersion} (CPU), intra-op threads without spinning`,
  ];
}

export async function main(argv: string[]): Promise<number> {
  const a = parse(argv);
  for (const m of a.models) refuseToOverwriteManifest(a.out, (await loadManifest(m, { verifySha256: false })).manifest.name); // Detector.load verifies it
  const targets = loadTargetsSection(a.targets, 'model', TargetsSchema);
  a.datasetTargets = targets.ap50ByDataset;
  const data = loadData(a);
  mkdirSync(a.out, { recursive: true });
  const runCache: RunCache = new Map();
  const runs: Awaited<ReturnType<typeof benchModel>>[] = [];
  for (const m of a.models) runs.push(await benchModel(m, a, data, runCache));
  // Targets for classes no model has only make sense on the default data, where every target class is labelled.
  const t = a.data ? { ...targets, ap50: Object.fromEntries(Object.entries(targets.ap50).filter(([k]) => data.labelled.has(k))) } : targets;
  const checks = checkTargets(
    runs.map((r) => r.result),
    t,
  );
  const env = environment();
  for (const r of runs) {
    const name = r.result.model;
    const svgName = `${name}-pr.svg`;
    writeFileSync(
      path.join(a.out, svgName),
      prCurvesSvg(
        `${name}: precision–recall at IoU 0.5`,
        r.evals.map((e) => ({ label: `${e.label} (AP50 ${e.e.ap50.toFixed(2)})`, tp50: e.e.tp50, scores: e.e.scores, nGt: e.e.nGt, threshold: e.threshold })),
      ),
    );
    const mine = checks.filter((c) => c.model === name || c.model === '(none)');
    writeFileSync(
      path.join(a.out, `${name}.md`),
      markdownReport({ model: name, ...r.meta, environment: env, datasets: data.datasets, classes: r.result.classes, byDataset: r.result.byDataset, latency: r.result.latency, checks: mine, prSvg: svgName }),
    );
    writeFileSync(path.join(a.out, `${name}.json`), `${JSON.stringify({ ...r.result, ...r.meta, datasets: data.datasets, checks: mine }, null, 2)}\n`);
  }
  printSummary(checks, a.out);
  return checks.some((c) => c.ok === false) ? 1 : 0;
}

/**
 * The report is written as OUT/NAME.json, and a model's manifest is usually NAME.json too: benchmarking a candidate
 * with --out its own folder would replace the manifest with the report (seen: the next bench in that folder then
 * failed on "manifest is invalid"). Refused before any work, with the fix.
 */
function refuseToOverwriteManifest(out: string, name: string): void {
  const target = path.join(out, `${name}.json`);
  if (!existsSync(target)) return;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(target, 'utf8'));
  } catch {
    return;
  }
  if (ModelManifestSchema.safeParse(parsed).success) {
    throw new PatrolError(`--out ${out}: the report would replace the model manifest ${target}.`, 'Write the reports to another folder, e.g. --out ' + path.join(out, 'bench-model'));
  }
}

function printSummary(checks: readonly Check[], out: string): void {
  const f = (c: Check, v: number) => (Number.isFinite(v) ? (c.what.startsWith('ms') ? v.toFixed(1) : v.toFixed(3)) : 'n/a');
  for (const c of checks) {
    const res = c.ok === undefined ? 'not measured' : c.ok ? 'ok' : 'MISSED';
    console.log(`${res.padEnd(12)} ${c.model}: ${c.what} = ${f(c, c.value)} (target ${c.what.startsWith('ms') ? '≤' : '≥'} ${f(c, c.target)})`);
  }
  console.log(`reports in ${path.relative(process.cwd(), out) || '.'}/`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      if (err instanceof PatrolError) {
        console.error(`bench:model: ${err.message}${err.hint ? `\n  fix: ${err.hint}` : ''}`);
      } else if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
        console.error(`bench:model: ${(err as Error).message}\n  usage: see the comment at the top of bench/model.ts`);
      } else {
        console.error(err);
      }
      process.exit(2);
    },
  );
}
