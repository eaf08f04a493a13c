/**
 * The run's files: `<base>.json` (non-finite numbers as null), `<base>.md`, and the SVG charts
 * `<base>-cpu-stages.svg`, `<base>-misses.svg`, `<base>-latency.svg`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { barChartSvg, lineChartSvg } from '../shared/plot-svg.js';
import { throughputMarkdown } from './report.js';
import type { ThroughputResult } from './result.js';

/** Output file base: the full run writes throughput.*, the quick run throughput-quick.* (so CI or a local quick run never overwrites the committed full results). */
export function outputBase(mode: ThroughputResult['mode']): string {
  return mode === 'quick' ? 'throughput-quick' : 'throughput';
}

export function writeOutputs(dir: string, r: ThroughputResult): void {
  mkdirSync(dir, { recursive: true });
  const base = outputBase(r.mode);
  writeFileSync(path.join(dir, `${base}.json`), `${JSON.stringify(r, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`);
  const budget = 1000 / 100;
  const bars = r.stageTable.map((s) => ({ label: s.stage.replace(/ \(.*\)$/, '').replace(/^control plane: (.*) at \d+ cameras$/, 'control plane (measured whole)'), value: s.cpuMsPerCameraSecond, highlight: !s.inSum, note: s.inSum ? '' : '(not in sum)' }));
  if (r.stageSumCpuMsPerCameraSecond !== undefined) bars.push({ label: 'end to end (sum of stages)', value: r.stageSumCpuMsPerCameraSecond, highlight: true, note: '' });
  const liveTop = r.live?.steps.find((s) => s.k === r.live?.maxSustainedK) ?? r.live?.steps[0];
  if (liveTop) bars.push({ label: `live run, K=${liveTop.k} (measured whole)`, value: liveTop.cpuMsPerCameraSecond, highlight: true, note: '' });
  const target = r.targets.find((t) => t.id === 'streams-per-core-stages');
  writeFileSync(
    path.join(dir, `${base}-cpu-stages.svg`),
    barChartSvg({ title: `CPU per camera-second by stage (${r.mode} mode, ${r.environment.cores} cores)`, unit: 'CPU-ms per camera-second', bars, threshold: { value: target ? 1000 / target.target : budget, label: `budget ${target ? (1000 / target.target).toFixed(0) : budget} ms (≥ ${target?.target ?? 100} streams/core)` } }),
  );
  const steps = r.live?.steps ?? [];
  writeFileSync(
    path.join(dir, `${base}-misses.svg`),
    lineChartSvg({
      title: 'Live run: streams vs analysis-interval misses',
      xLabel: 'streams (K cameras on the RTSP server)',
      yLabel: 'interval misses (%)',
      series: [{ name: 'interval misses %', points: steps.map((s) => [s.k, s.misses.ratio * 100] as const) }],
      threshold: { value: (r.targets.find((t) => t.id === 'interval-misses')?.target ?? 0.01) * 100, label: 'limit' },
    }),
  );
  writeFileSync(
    path.join(dir, `${base}-latency.svg`),
    lineChartSvg({
      title: 'Live run: streams vs event latency',
      xLabel: 'streams (K)',
      yLabel: 'latency, s',
      series: [
        { name: 'p95 frame arrival → analyzed + published', points: steps.map((s) => [s.k, s.latency.p95 / 1000] as const) },
        { name: 'p50', points: steps.map((s) => [s.k, s.latency.p50 / 1000] as const) },
      ],
      threshold: { value: (r.targets.find((t) => t.id === 'event-latency-p95')?.target ?? 3000) / 1000, label: 'p95 limit' },
    }),
  );
  writeFileSync(path.join(dir, `${base}.md`), throughputMarkdown(r, base));
}
