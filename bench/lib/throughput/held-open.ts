/**
 * The held-open (native) end-to-end figure: the stage sum with the native ingest row in place of the ffmpeg
 * ingest, keyframe decode and hand-off rows (inference, scene, burning check and control plane as they stand in
 * the sum). Pure: it reads the stage table.
 */
import type { StageRow } from './result.js';

export interface HeldOpenSum {
  cpuMsPerCameraSecond: number;
  streamsPerCore: number;
  /** The rows summed, in table order. */
  rows: string[];
  /** The native row's memory per camera (Node RSS growth + pool RSS, / N), MB. */
  rssMbPerStream?: number;
}

/** Undefined without the ffmpeg-based sum (a stage is missing) or without the native row. */
export function heldOpenSum(table: readonly StageRow[], stageSum: number | undefined, rssMbPerStream?: number): HeldOpenSum | undefined {
  const native = table.find((r) => r.ingestPath === 'native');
  if (stageSum === undefined || !native) return undefined;
  const rows = table.filter((r) => r === native || (r.inSum && r.ingestPath !== 'ffmpeg'));
  const cpu = rows.reduce((s, r) => s + r.cpuMsPerCameraSecond, 0);
  return { cpuMsPerCameraSecond: cpu, streamsPerCore: cpu > 0 ? 1000 / cpu : Number.NaN, rows: rows.map((r) => r.stage), rssMbPerStream };
}
