import type { Check, ClassResult, DatasetClassResult, LatencyRow } from './targets.js';

export interface ReportInput {
  model: string;
  version: string;
  modelFile: string;
  sha256: string;
  input: string;
  batchNote: string;
  environment: string[];
  datasets: { name: string; images: number }[];
  teacher?: string;
  classes: ClassResult[];
  byDataset?: DatasetClassResult[];
  latency: LatencyRow[];
  checks: Check[];
  prSvg: string;
  seconds: number;
}

const f3 = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(3));
const f1 = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(1));
const mark = (ok: boolean | undefined) => (ok === undefined ? 'not measured' : ok ? 'met' : '**missed**');

/** The markdown report for one model. Pure. */
export function markdownReport(r: ReportInput): string {
  const L: string[] = [];
  L.push(`# bench:model — ${r.model} ${r.version}`, '');
  L.push(`Model \`${r.modelFile}\` (sha256 ${r.sha256.slice(0, 12)}…), input ${r.input}. ${r.batchNote}`, '');
  L.push(...r.environment.map((e) => `- ${e}`), '');
  L.push(`Data: ${r.datasets.map((d) => `${d.name} (${d.images} images)`).join(', ')}. Evaluated in ${Math.round(r.seconds)} s.`);
  L.push(
    'Images are letterboxed with sharp (bilinear) to the input size, then go through the production path: ' +
      '`Detector.detect` (HWC→CHW, ONNX Runtime, decoder, class-wise NMS, mapping to the picture). Scores ≥ 0.001 for AP.',
  );
  if (r.teacher) {
    L.push(
      `Classes marked *pseudo* are scored against the teacher's own detections (${r.teacher}, at its manifest thresholds) as ground truth; ` +
        "\"teacher AP50\" is the teacher's AP50 against those same labels.",
    );
  }
  L.push('', '## Accuracy (IoU 0.5 for P/R at the operating threshold)', '');
  L.push('| class | ground truth | boxes | AP50 | AP50:95 | threshold | precision | recall | teacher AP50 |');
  L.push('|---|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const c of r.classes) {
    L.push(
      `| ${c.label} | ${c.source === 'labels' ? 'labels' : '*pseudo*'} | ${c.nGt} | ${f3(c.ap50)} | ${f3(c.ap5095)} | ${c.threshold} | ${f3(c.precision)} | ${f3(c.recall)} | ${f3(c.teacherAp50)} |`,
    );
  }
  if (r.classes.length === 0) L.push('| (no class of this model has ground truth in these data) | | | | | | | | |');
  if (r.byDataset?.length) {
    L.push('', '## By data set (the targets of bench/targets.json `ap50ByDataset`)', '');
    L.push(
      'AP50 is the target. Beside it, not checked: AP at IoU 0.3, and the boxes *found by centre* — a detection at the ' +
        "class threshold has its centre inside the box. Far apart, they say the labels are drawn looser than the object (a box " +
        'several times the flame) rather than that the detector looks in the wrong place.',
      '',
    );
    L.push('| data set | class | boxes | AP50 | AP at IoU 0.3 | found by centre at the threshold |', '|---|---|---:|---:|---:|---:|');
    for (const d of r.byDataset) {
      const found = d.foundByCentre === undefined ? '—' : `${d.foundByCentre}/${d.nGt} at ${d.threshold}`;
      L.push(`| ${d.dataset} | ${d.label} | ${d.nGt} | ${f3(d.ap50)} | ${f3(d.ap30)} | ${found} |`);
    }
  }
  if (r.latency.length) {
    L.push('', '## Latency (ms per frame: preprocessing + inference + decoding + NMS, one call in flight)', '');
    const batches = [...new Set(r.latency.map((l) => l.batch))].sort((a, b) => a - b);
    L.push(`| threads | ${batches.map((b) => `batch ${b}`).join(' | ')} | p95 per call, batch ${batches.join(' / ')} |`);
    L.push(`|---:|${batches.map(() => '---:').join('|')}|---:|`);
    for (const t of [...new Set(r.latency.map((l) => l.threads))].sort((a, b) => a - b)) {
      const rows = batches.map((b) => r.latency.find((l) => l.threads === t && l.batch === b));
      L.push(`| ${t} | ${rows.map((x) => f1(x?.msPerFrame)).join(' | ')} | ${rows.map((x) => f1(x?.p95CallMs)).join(' / ')} ms |`);
    }
  }
  L.push('', '## Targets (bench/targets.json)', '');
  L.push('| check | value | target | result |', '|---|---:|---:|---|');
  for (const c of r.checks) L.push(`| ${c.what} | ${c.what.startsWith('ms') ? f1(c.value) : f3(c.value)} | ${c.what.startsWith('ms') ? `≤ ${c.target}` : `≥ ${f3(c.target)}`} | ${mark(c.ok)} |`);
  L.push('', `![Precision–recall curves](${r.prSvg})`, '');
  return L.join('\n');
}
