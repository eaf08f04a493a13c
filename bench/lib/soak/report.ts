import { thin, type SoakBounds, type SoakSample, type SoakVerdict } from './stats.js';

export interface SoakResult {
  schema: 'patrol-soak/1';
  label: string;
  startedAt: string;
  minutes: number;
  warmupSec: number;
  cameras: number;
  intervalSec: number;
  clips: string[];
  /** Rules that differ from the defaults (absent in results written before they were recorded). */
  rules?: Record<string, unknown>;
  model: string;
  machine: { cpus: number; node: string; loadAvgAtStart: number[] };
  bounds: SoakBounds;
  verdict: SoakVerdict;
  totals: { framesAnalyzed: number; eventsOpened: number; eventsEnded: number; published: number; delivered: number; cameraStateChanges: number };
  samples: SoakSample[];
}

const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');

export function soakMarkdown(r: SoakResult): string {
  const v = r.verdict;
  const lines = [
    `# Soak: ${r.label}`,
    '',
    `${r.startedAt} · ${r.minutes} min · ${r.cameras} RTSP cameras (test RTSP server, fixture clips ${r.clips.join(', ')}) · analysis every ${r.intervalSec} s · ${r.model} · ${r.machine.cpus} CPUs, load average ${r.machine.loadAvgAtStart.map(f1).join(' / ')} at start (shared machine) · Node ${r.machine.node}`,
    '',
    ...(r.rules ? [`Rules: ${JSON.stringify(r.rules)}`, ''] : []),
    `**${v.status.toUpperCase()}** — samples every 10 s (RSS read every second; the trend is a least-squares line through the lowest reading of each 10 s after the ${r.warmupSec} s warm-up, ± its standard error).`,
    '',
    '| measure | value | bound |',
    '|---|---|---|',
    `| RSS trend after warm-up (floor of each 10 s) | ${f2(v.rss.mbPer10Min)} ± ${f2(v.rss.stderrPer10Min)} MB / 10 min (fit ${f1(v.rss.start)} → ${f1(v.rss.end)} MB, n = ${v.rss.n}) | ≤ ${r.bounds.maxRssMbPer10Min} MB / 10 min |`,
    `| JS heap trend after warm-up | ${f2(v.heap.mbPer10Min)} ± ${f2(v.heap.stderrPer10Min)} MB / 10 min (${f1(v.heap.start)} → ${f1(v.heap.end)} MB) | reported |`,
    `| ffmpeg decoders' RSS trend (sum) | ${f2(v.ffmpegRss.mbPer10Min)} ± ${f2(v.ffmpegRss.stderrPer10Min)} MB / 10 min (${f1(v.ffmpegRss.start)} → ${f1(v.ffmpegRss.end)} MB) | reported |`,
    `| event-loop delay p99 / max | ${f1(v.lagP99Ms)} / ${f1(v.lagMaxMs)} ms | p99 ≤ ${r.bounds.maxLagP99Ms} ms |`,
    `| frames analyzed per second | ${f2(v.fps)} (expected ${f2(v.expectedFps)}) | ≥ ${Math.round(r.bounds.minFpsShare * 100)} % of expected |`,
    `| totals | ${r.totals.framesAnalyzed} frames, ${r.totals.eventsOpened} events opened / ${r.totals.eventsEnded} ended, ${r.totals.published} messages published / ${r.totals.delivered} delivered, ${r.totals.cameraStateChanges} camera state changes | |`,
    '',
  ];
  if (v.failures.length) lines.push(v.status === 'inconclusive' ? 'Not resolved:' : 'Failures:', '', ...v.failures.map((f) => `- ${f}`), '');
  lines.push(
    '| t (s) | RSS MB (min–max) | heap MB | ffmpeg RSS MB (n) | lag p50 / p99 / max ms | frames/s | live | events | queue | CPU % | load |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const s of thin(r.samples, 40)) {
    lines.push(
      `| ${Math.round(s.t)} | ${f1(s.rssMb)} (${f1(s.rssMinMb)}–${f1(s.rssMaxMb)}) | ${f1(s.heapUsedMb)} | ${f1(s.ffmpegRssMb)} (${s.ffmpegCount}) | ${f1(s.lagP50Ms)} / ${f1(s.lagP99Ms)} / ${f1(s.lagMaxMs)} | ${f2(s.fps)} | ${s.camerasLive} | ${s.eventsOpened} | ${s.queueDepth} | ${f1(s.cpuPct)} | ${f1(s.loadAvg1)} |`,
    );
  }
  lines.push('', 'Reproduce: `npm run bench:soak -- --minutes 30` (see docs/FAULTS.md). Not part of CI.', '');
  return lines.join('\n');
}
