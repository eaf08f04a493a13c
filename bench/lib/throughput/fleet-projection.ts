/**
 * The projection to 1000 streams (a projection, not a measurement): the stage costs × 1000 plus the control
 * plane measured at 1000 cameras, the live run's cost × 1000, and memory from lines through the live steps'
 * (K, summed RSS) and (K, summed PSS) points.
 */
import { fitLine, project } from './projection.js';
import type { LiveStep, StageRow, ThroughputResult } from './result.js';

export interface FleetProjection {
  memoryFit: NonNullable<ThroughputResult['live']>['memoryFit'];
  privateMemoryFit: NonNullable<ThroughputResult['live']>['privateMemoryFit'];
  /** Undefined without an end-to-end stage sum. */
  projection: ThroughputResult['projection'];
}

/** `lastLive`: the live step the projection from the live run takes (the largest K sustained, else the first). */
export function projectFleet(table: StageRow[], stageSum: number | undefined, steps: LiveStep[], lastLive: LiveStep | undefined, controlPlane: ThroughputResult['controlPlane']): FleetProjection {
  const memoryFit = steps.length ? fitLine(steps.map((s) => s.k), steps.map((s) => s.rssMb.total)) : undefined;
  const privateMemoryFit = steps.length ? fitLine(steps.map((s) => s.k), steps.map((s) => s.rssMb.pssTotal)) : undefined;
  const cpCores = controlPlane ? controlPlane.coreShare * (1000 / controlPlane.cameras) : undefined;
  const projection = stageSum !== undefined
    ? {
        streams: 1000,
        fromStages: project({ streams: 1000, stages: table.filter((r) => r.inSum && !r.stage.startsWith('scoring') && !r.stage.startsWith('dispatch') && !r.stage.startsWith('control plane')).map((r) => ({ stage: r.stage, cpuMsPerCameraSecond: r.cpuMsPerCameraSecond })), controlPlaneCores: cpCores, memoryFit }),
        privateMemoryMb: privateMemoryFit && Number.isFinite(privateMemoryFit.slope) ? privateMemoryFit.intercept + privateMemoryFit.slope * 1000 : undefined,
        fromLive: lastLive ? project({ streams: 1000, stages: [{ stage: `live run at K=${lastLive.k}`, cpuMsPerCameraSecond: lastLive.cpuMsPerCameraSecond }], memoryFit }) : undefined,
        note: 'PROJECTION, not a measurement: per-camera costs measured here × 1000, plus the control plane measured at 1000 cameras; memory from lines through the live run\'s (K, summed RSS) and (K, summed PSS) points — a sum of RSS counts shared library pages once per process, PSS shares them out, so summed PSS is the physical memory used. Assumes costs stay linear in K (no contention effects) and the same CPU model.',
      }
    : undefined;
  return { memoryFit, privateMemoryFit, projection };
}
