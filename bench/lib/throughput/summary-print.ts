/** The run's summary on stdout: stage costs, live steps, control plane, projection, and each target met or missed. */
import path from 'node:path';
import { outputBase } from './outputs.js';
import type { ThroughputResult } from './result.js';

export function printSummary(r: ThroughputResult, out: string): void {
  const L: string[] = [];
  L.push('', `bench:throughput (${r.mode}) on ${r.environment.cores} × ${r.environment.cpu}, ${Math.round(r.durationSec)} s`);
  L.push('Stage costs (CPU-ms per camera-second):');
  for (const s of r.stageTable) L.push(`  ${s.stage.padEnd(62)} ${s.cpuMsPerCameraSecond.toFixed(3).padStart(8)}${s.inSum ? '' : '  (not in sum)'}`);
  if (r.stageSumCpuMsPerCameraSecond !== undefined) L.push(`  ${'end to end (sum)'.padEnd(62)} ${r.stageSumCpuMsPerCameraSecond.toFixed(3).padStart(8)}  → ${(1000 / r.stageSumCpuMsPerCameraSecond).toFixed(0)} streams/core`);
  const nat = r.stages.nativeIngest;
  const dec = r.stages.decode;
  if (nat && dec) {
    L.push(
      `  native vs ffmpeg camera source: CPU ${(nat.cpuMsPerCameraSecond / dec.ffmpegCpuMsPerCameraSecond).toFixed(2)}× (${nat.cpuMsPerCameraSecond.toFixed(3)} vs ${dec.ffmpegCpuMsPerCameraSecond.toFixed(3)}), ` +
        `${nat.framesPerCameraMinute.toFixed(1)} vs ${dec.framesPerCameraMinute.toFixed(1)} frames/camera-min, ${nat.memoryMbPerCamera.toFixed(1)} vs ${dec.rssMbPerProcess.toFixed(1)} MB/camera`,
    );
  }
  const tour = r.stages.tour;
  if (tour) {
    L.push(
      `Tour: ${tour.visits} visits of ${tour.mounts} mounts with ${tour.slots} slots in ${tour.windowSec.toFixed(0)} s, ${tour.visitSec.mean.toFixed(2)} s and ${tour.cpuMsPerVisit.toFixed(2)} CPU-ms per visit → ` +
        `${tour.projection.camerasPerRevisit.toFixed(0)} cameras per ${tour.projection.revisitSec} s at ${tour.projection.slots} slots (${tour.projection.bound}-bound)`,
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
