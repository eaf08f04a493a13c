import { z } from 'zod';

export const TargetsSchema = z
  .object({
    $comment: z.string().optional(),
    /** Minimum AP50 per class with human labels. */
    ap50: z.record(z.string(), z.number().min(0).max(1)).default({}),
    /** A retained (pseudo-labelled) class passes when student AP50 ≥ cocoRetention × teacher AP50. */
    cocoRetention: z.number().min(0).max(1).default(0.8),
    /** Minimum AP50 per dataset and class (e.g. fire on forest_fire/valid and on cctv_fire/valid). */
    ap50ByDataset: z.record(z.string(), z.record(z.string(), z.number().min(0).max(1))).default({}),
    /** A retrain must not cost the other classes: AP50 within maxDrop of a measured baseline, except the listed classes. */
    baseline: z
      .object({ model: z.string(), maxDrop: z.number().min(0).max(1), except: z.array(z.string()).default([]), ap50: z.record(z.string(), z.number().min(0).max(1)) })
      .strict()
      .optional(),
    latency: z
      .object({ threads: z.number().int().positive(), batch: z.number().int().positive(), maxMsPerFrame: z.number().positive() })
      .optional(),
  })
  .strict();
export type Targets = z.infer<typeof TargetsSchema>;

/** Per-class results of one model, as the targets need them. */
export interface ClassResult {
  label: string;
  /** 'labels': human ground truth; 'pseudo': the teacher's detections as ground truth. */
  source: 'labels' | 'pseudo';
  nGt: number;
  ap50: number;
  ap5095: number;
  threshold: number;
  precision: number;
  recall: number;
  /** For pseudo-labelled classes: the teacher's own AP50 against its pseudo-labels. */
  teacherAp50?: number;
}

export interface LatencyRow {
  threads: number;
  batch: number;
  msPerFrame: number;
  p50CallMs: number;
  p95CallMs: number;
}

export interface DatasetClassResult {
  dataset: string;
  label: string;
  nGt: number;
  ap50: number;
  /** Diagnostics beside the target (not checked): AP at IoU 0.3, and boxes with a detection at the class threshold centred in them. */
  ap30?: number;
  threshold?: number;
  foundByCentre?: number;
}

export interface ModelResult {
  model: string;
  classes: ClassResult[];
  /** AP50 of the classes named in ap50ByDataset, on each dataset alone. */
  byDataset?: DatasetClassResult[];
  latency: LatencyRow[];
}

export interface Check {
  model: string;
  what: string;
  value: number;
  target: number;
  /** undefined: could not be measured (reported, not a failure). */
  ok: boolean | undefined;
}

/** Compare results with the targets. Pure. A target class no model was evaluated on is a failure. */
export function checkTargets(results: readonly ModelResult[], t: Targets): Check[] {
  const checks: Check[] = [];
  for (const [label, target] of Object.entries(t.ap50)) {
    const rows = results.flatMap((r) => r.classes.filter((c) => c.label === label && c.source === 'labels').map((c) => ({ r, c })));
    if (rows.length === 0) checks.push({ model: '(none)', what: `AP50 ${label}`, value: NaN, target, ok: false });
    for (const { r, c } of rows) checks.push({ model: r.model, what: `AP50 ${label}`, value: c.ap50, target, ok: c.ap50 >= target });
  }
  for (const r of results) {
    for (const [dataset, classes] of Object.entries(t.ap50ByDataset)) {
      for (const [label, target] of Object.entries(classes)) {
        const row = r.byDataset?.find((d) => d.dataset === dataset && d.label === label);
        checks.push({ model: r.model, what: `AP50 ${label} on ${dataset}`, value: row?.ap50 ?? NaN, target, ok: row ? row.ap50 >= target : undefined });
      }
    }
    if (t.baseline) {
      const { maxDrop, except, ap50 } = t.baseline;
      for (const c of r.classes) {
        const base = ap50[c.label];
        if (base === undefined || except.includes(c.label)) continue;
        checks.push({ model: r.model, what: `AP50 ${c.label} vs ${t.baseline.model} (≥ ${base.toFixed(3)} − ${maxDrop})`, value: c.ap50, target: base - maxDrop, ok: c.ap50 >= base - maxDrop - 1e-9 });
      }
    }
    for (const c of r.classes) {
      if (c.source !== 'pseudo') continue;
      const target = t.cocoRetention * (c.teacherAp50 ?? NaN);
      checks.push({
        model: r.model,
        what: `AP50 ${c.label} vs teacher (≥ ${t.cocoRetention} × ${fmt(c.teacherAp50)})`,
        value: c.ap50,
        target,
        ok: Number.isFinite(target) ? c.ap50 >= target : undefined,
      });
    }
    if (t.latency) {
      const { threads, batch, maxMsPerFrame } = t.latency;
      const row = r.latency.find((l) => l.threads === threads && l.batch === batch);
      checks.push({
        model: r.model,
        what: `ms/frame, ${threads} thread${threads > 1 ? 's' : ''}, batch ${batch}`,
        value: row?.msPerFrame ?? NaN,
        target: maxMsPerFrame,
        ok: row ? row.msPerFrame <= maxMsPerFrame : undefined,
      });
    }
  }
  return checks;
}

function fmt(v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(3);
}
