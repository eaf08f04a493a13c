/** The run's summary on stdout: stage costs, live steps, control plane, projection, and each target met or missed. */
import path from 'node:path';
import { ratiosLine } from './ingest-ratios.js';
import { outputBase } from './outputs.js';
import type { ThroughputResult } from './result.js';

export function printSummary(r: ThroughputResult, out: string): void {
  const L: string[] = [];
  L.push('', `bench:throughput (${r.mode}) on ${r.environment.cores} × ${r.environment.cpu}, ${Math.round(r.durationSec)} s`);
  L.push('Stage costs (CPU-ms per camera-second):');
  for (const s of r.stageTable) L.push(`  ${s.stage.padEnd(62)} ${s.cpuMsPerCameraSecond.toFixed(3).padStart(8)}${s.inSum ? '' : '  (not in sum)'}`);
  if (r.stageSumCpuMsPerCameraSecond !== undefined) L.push(`  ${'end to end (sum)'.padEnd(62)} ${r.stageSumCpuMsPerCameraSecond.toFixed(3).padStart(8)}  → ${(1000 / r.stageSumCpuMsPerCameraSecond).toFixed(0)} streams/core`);
  const h = r.heldOpen;
  if (h) L.push(`  ${'held-open (native): native ingest in place of the ffmpeg rows'.padEnd(62)} ${h.cpuMsPerCameraSecond.toFixed(3).padStart(8)}  → ${h.streamsPerCore.toFixed(0)} streams/core${h.rssMbPerStream !== undefined ? `, ${h.rssMbPerStream.toFixed(1)} MB/stream` : ''}`);
  const q = r.ingestRatios;
  if (q) {
    const c = q.cpuMsPerCameraSecond;
    const m = q.memoryMbPerCamera;
    const fig = (v: number | undefined, d: number) => (v === undefined ? '—' : v.toFixed(d));
    L.push(
      `  ingest ratios (CPU up to frames in Node): ${ratiosLine(q)} — ffmpeg ${c.ffmpeg.toFixed(3)}, native ${fig(c.native, 3)}, Frigate-style ${fig(c.frigate, 3)} CPU-ms/camera-s; ` +
        `${m.ffmpeg.toFixed(1)} / ${fig(m.native, 1)} / ${fig(m.frigate, 1)} MB/camera`,
    );
  }
  const tour = r.stages.tour;
  if (tour) {
    const g = tour.gaps;
    L.push(
      `Tour (measured): ${tour.camerasVisited}/${tour.mounts} cameras every ${tour.revisitSec} s with ${tour.slots} slots, ${g.onTime} on time; largest gap p95 ${g.largestGapSec.p95.toFixed(2)} s, max ${g.largestGapSec.max.toFixed(2)} s; ` +
        `misses ${(tour.missRatio * 100).toFixed(2)}%; visit p50 ${tour.visitSec.p50.toFixed(2)} s, p95 ${tour.visitSec.p95.toFixed(2)} s; ${tour.cpuMsPerVisit.toFixed(2)} CPU-ms per visit (farm ${tour.server.cpuMsPerVisit.toFixed(2)} apart); ` +
        `projection ${tour.projection.camerasPerRevisit.toFixed(0)} cameras per ${tour.projection.revisitSec} s (${tour.projection.bound}-bound)`,
    );
  }
  for (const s of r.live?.steps ?? []) {
    L.push(`Live K=${String(s.k).padStart(3)}: ${s.sustained ? 'sustained    ' : 'NOT sustained'} ${s.cpuMsPerCameraSecond.toFixed(2)} CPU-ms/camera-s, misses ${(s.misses.ratio * 100).toFixed(2)}%, p95 ${(s.latency.p95 / 1000).toFixed(2)} s, ${s.rssMb.perStream.toFixed(1)} MB/stream`);
  }
  if (r.live) L.push(`Largest K sustained: ${r.live.maxSustainedK} (${r.live.stoppedBecause})`);
  if (r.controlPlane) {
    const c = r.controlPlane;
    L.push(`Control plane, ${c.cameras} cameras: ${(c.coreShare * 100).toFixed(2)}% of one core (Node ${(c.nodeCoreShare * 100).toFixed(2)}%, redis ${(c.redisCoreShare * 100).toFixed(2)}%), ${c.publishes} publishes, p50/p95 ${c.publishLatency.p50.toFixed(0)}/${c.publishLatency.p95.toFixed(0)} ms`);
  }
  if (r.projection) {
    const p = r.projection.fromStages;
    const priv = r.projection.privateMemoryMb;
    L.push(
      `PROJECTION to 1000 streams: ${p.totalCores.toFixed(1)} cores (${p.streamCores.toFixed(1)} streams + ${p.controlPlaneCores.toFixed(2)} control plane)` +
        `${p.memoryMb !== undefined ? `, ${(p.memoryMb / 1024).toFixed(1)} GB summed RSS${priv !== undefined ? ` (${(priv / 1024).toFixed(1)} GB PSS)` : ''}` : ''}`,
    );
  }
  for (const c of r.targets) L.push(`  [${c.ok ? 'met   ' : 'MISSED'}] ${c.what}`);
  const base = outputBase(r.mode);
  L.push(`Results: ${path.relative(process.cwd(), out) || out}/${base}.{json,md}, ${base}-*.svg`);
  process.stdout.write(`${L.join('\n')}\n`);
}
