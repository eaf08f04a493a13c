/**
 * The stage table: CPU-ms per camera-second of each stage of the pipeline, from the stages measured before,
 * plus the scene model and the burning check (measured here, in process), and their end-to-end sum. When the
 * control plane was measured whole, it stands in the sum for the scoring and dispatch micro-benchmarks. A second
 * sum, held-open (native), takes the native ingest row in place of the three ffmpeg rows.
 */
import { measureBurningCheckCost } from './burning-check-cost.js';
import { measureCropCheckCost } from './crop-check-cost.js';
import { heldOpenSum, type HeldOpenSum } from './held-open.js';
import { ingestRatios } from './ingest-ratios.js';
import type { IngestDecodeCost } from './ingest-cost.js';
import { INTERVAL_SEC, PIPELINE_THREADS } from './plan.js';
import type { InferenceRow, StageRow, ThroughputResult } from './result.js';
import { measureSceneCost } from './scene-cost.js';
import type { ScoringCost } from './scoring-cost.js';

export interface MeasuredStages {
  ingestDecode: IngestDecodeCost | undefined;
  inferenceRows: InferenceRow[];
  /** The model's batch: what the pipeline runs it with. */
  pipelineBatch: number;
  scoring: ScoringCost;
  dispatch: ThroughputResult['stages']['dispatch'];
  controlPlane: ThroughputResult['controlPlane'];
  /** The model's manifest, for its crop check. */
  model: string;
}

export const NATIVE_INGEST_STAGE = 'native ingest + keyframe decode (in-process client, shared decoder pool)';
export const FRIGATE_BASELINE_STAGE = 'Frigate-style baseline: full decode at 5 fps + scale (ffmpeg per camera)';

/** The native row's explanation: its parts and its ratio to the ffmpeg camera source on the same streams. */
function nativeHow(c: IngestDecodeCost): string {
  const nat = c.native!;
  const ff = c.decode.ffmpegCpuMsPerCameraSecond;
  const ffAll = ff + c.decode.nodeCpuMsPerCameraSecond;
  return (
    `${nat.streams} × transport native in one process${nat.server ? ` against the ${nat.server} (its CPU ${nat.serverCpuMsPerCameraSecond?.toFixed(3) ?? '?'} not counted)` : ''}, same clip, packet ring as with clips on, window ${nat.windowSec.toFixed(0)} s: Node ${nat.nodeCpuMsPerCameraSecond.toFixed(3)} (process.cpuUsage()) + ${nat.decoders} pool decoder(s) ${nat.poolCpuMsPerCameraSecond.toFixed(3)} (/proc); ` +
    `${(nat.cpuMsPerCameraSecond / ff).toFixed(2)}× ffmpeg's RTSP ingest + keyframe decode + scale (${ff.toFixed(3)}), ${(nat.cpuMsPerCameraSecond / ffAll).toFixed(2)}× with its hand-off (${ffAll.toFixed(3)}); ` +
    `${nat.framesPerCameraMinute.toFixed(1)} frames/camera-min (ffmpeg ${c.decode.framesPerCameraMinute.toFixed(1)}); ` +
    `${nat.memoryMbPerCamera.toFixed(1)} MB/camera (Node RSS growth ${nat.nodeRssGrowthMbPerCamera.toFixed(1)} + pool RSS ${nat.poolRssMbPerCamera.toFixed(1)}; pool PSS ${nat.poolPssMbPerCamera.toFixed(1)}) vs ${c.decode.rssMbPerProcess.toFixed(1)} MB RSS (${c.decode.pssMbPerProcess.toFixed(1)} PSS) per ffmpeg`
  );
}

/** The Frigate row's explanation: how it ran, its memory, and its ratios to Patrol's two paths. */
function frigateHow(c: IngestDecodeCost): string {
  const fr = c.frigate!;
  const r = ingestRatios(c);
  const x = (v: number | undefined) => (v === undefined ? 'not measured' : `${v.toFixed(2)}×`);
  return (
    `${fr.streams} × ffmpeg -vf fps=${fr.fps},scale=${fr.width}:${fr.height} -f rawvideo yuv420p, same clip, server and window (${fr.windowSec.toFixed(0)} s): ffmpeg ${fr.ffmpegCpuMsPerCameraSecond.toFixed(3)} (/proc) + pipe reader ${fr.readerCpuMsPerCameraSecond.toFixed(3)} (process.cpuUsage()), ${fr.framesPerCameraSecond.toFixed(2)} frames/camera-s; ` +
    `${x(r.frigateVsFfmpeg)} Patrol's ffmpeg camera source with its hand-off (${r.cpuMsPerCameraSecond.ffmpeg.toFixed(3)}), ${x(r.frigateVsNative)} the native path${r.cpuMsPerCameraSecond.native !== undefined ? ` (${r.cpuMsPerCameraSecond.native.toFixed(3)})` : ''}; ` +
    `${fr.rssMbPerProcess.toFixed(1)} MB RSS (${fr.pssMbPerProcess.toFixed(1)} PSS) per ffmpeg`
  );
}

/** `stageSum` is undefined when ingest/decode or inference is missing; `omitted` gets a line for each gap. */
export async function stageTable(m: MeasuredStages, omitted: string[]): Promise<{ table: StageRow[]; stageSum: number | undefined; heldOpen: HeldOpenSum | undefined }> {
  const { ingestDecode, inferenceRows, scoring, dispatch, controlPlane } = m;
  // The pipeline's configuration: detector.threads defaults to 1, the batch is the model's.
  const inf1 = inferenceRows.find((r) => r.threads === PIPELINE_THREADS && r.batch === m.pipelineBatch) ?? inferenceRows.find((r) => r.threads === 1 && r.batch === 1);
  const table: StageRow[] = [];
  if (ingestDecode) {
    table.push({ stage: 'RTSP ingest (ffmpeg, RTSP/RTP over TCP, no decode)', cpuMsPerCameraSecond: ingestDecode.ingest.cpuMsPerCameraSecond, inSum: true, ingestPath: 'ffmpeg', how: `${ingestDecode.ingest.streams} × ffmpeg -c copy -f null, /proc utime+stime` });
    table.push({ stage: 'keyframe decode + scale to detector input (ffmpeg)', cpuMsPerCameraSecond: ingestDecode.decode.decodeScaleCpuMsPerCameraSecond, inSum: true, ingestPath: 'ffmpeg', how: 'camera-source ffmpeg minus ingest-only ffmpeg' });
    table.push({ stage: 'frame hand-off to Node (pipe, split, pair)', cpuMsPerCameraSecond: ingestDecode.decode.nodeCpuMsPerCameraSecond, inSum: true, ingestPath: 'ffmpeg', how: 'process.cpuUsage() while only the camera sources ran' });
    const nat = ingestDecode.native;
    if (nat) table.push({ stage: NATIVE_INGEST_STAGE, cpuMsPerCameraSecond: nat.cpuMsPerCameraSecond, inSum: false, ingestPath: 'native', how: nativeHow(ingestDecode) });
    else omitted.push(`native ingest (transport: native) beside the ffmpeg ingest rows: ${ingestDecode.nativeError ?? 'not measured'}`);
    const fr = ingestDecode.frigate;
    if (fr) table.push({ stage: FRIGATE_BASELINE_STAGE, cpuMsPerCameraSecond: fr.cpuMsPerCameraSecond, inSum: false, ingestPath: 'frigate', how: frigateHow(ingestDecode) });
    else omitted.push(`Frigate-style baseline beside the ffmpeg ingest rows: ${ingestDecode.frigateError ?? 'not measured'}`);
  } else omitted.push('RTSP ingest, decode and hand-off stage costs');
  if (inf1) table.push({ stage: `inference (${inf1.threads} thread, batch ${inf1.batch}, one frame per ${INTERVAL_SEC} s)`, cpuMsPerCameraSecond: inf1.cpuMsPerCameraSecond, inSum: true, how: `process.cpuUsage() over ${inf1.frames} frames: ${inf1.cpuMsPerFrame.toFixed(1)} CPU-ms/frame` });
  table.push({ stage: 'scoring + dedupe (step)', cpuMsPerCameraSecond: scoring.cpuMsPerStep / INTERVAL_SEC, inSum: true, how: `process.cpuUsage() over ${scoring.steps} steps: ${(scoring.cpuMsPerStep * 1000).toFixed(1)} CPU-µs/step` });
  const scene = measureSceneCost();
  table.push({ stage: 'scene model (sceneStep on the 416² frame)', cpuMsPerCameraSecond: scene.cpuMsPerFrame / INTERVAL_SEC, inSum: true, how: `process.cpuUsage() over ${scene.frames} frames: ${scene.cpuMsPerFrame.toFixed(3)} CPU-ms/frame (target ≤ 1)` });
  const burnCheck = await measureBurningCheckCost();
  table.push({ stage: 'burning check, frame without a fire/smoke candidate', cpuMsPerCameraSecond: burnCheck.cpuMsPerFrame / INTERVAL_SEC, inSum: true, how: `process.cpuUsage() over ${burnCheck.frames} frames: ${(burnCheck.cpuMsPerFrame * 1000).toFixed(2)} CPU-µs/frame (target: ≤ 5 % of the camera's total; bursts only on candidates)` });
  const crop = await measureCropCheckCost(m.model).catch((err: Error) => {
    omitted.push(`crop check cost: ${err.message.split('\n')[0]}`);
    return undefined;
  });
  if (crop) {
    // Inference above already runs the check on its frames' checked boxes; one box's cost is for reference.
    table.push({ stage: `crop check (${crop.classes.join(', ')}), per checked box`, cpuMsPerCameraSecond: crop.cpuMsPerBox / INTERVAL_SEC, inSum: false, how: `process.cpuUsage(): ${crop.cpuMsPerBox.toFixed(2)} CPU-ms per box (64² crop + CNN), ${crop.cpuUsPerFrameWithout.toFixed(2)} CPU-µs per frame without one; counted in inference where frames have boxes` });
  }
  if (dispatch) {
    table.push({ stage: 'dispatch, BullMQ (Node + redis-server)', cpuMsPerCameraSecond: dispatch.bullmq.cpuMsPerPublish * dispatch.publishesPerCameraSecond, inSum: true, how: `${dispatch.bullmq.cpuMsPerPublish.toFixed(2)} CPU-ms/publish × ${dispatch.publishesPerCameraSecond.toExponential(2)} publishes/camera-s` });
    table.push({ stage: 'dispatch, embedded SQLite queue (alternative)', cpuMsPerCameraSecond: dispatch.embedded.cpuMsPerPublish * dispatch.publishesPerCameraSecond, inSum: false, how: `${dispatch.embedded.cpuMsPerPublish.toFixed(2)} CPU-ms/publish × the same rate` });
  }
  if (controlPlane) {
    // The warm-loop micro-benchmarks above understate what these stages cost spread over time among other
    // work (cold caches, timers, the open-events file): the sum takes the control plane measured whole.
    for (const row of table) if (row.stage.startsWith('scoring') || row.stage.startsWith('dispatch')) row.inSum = false;
    table.push({
      stage: `control plane: scoring + dedupe + dispatch at ${controlPlane.cameras} cameras (measured together)`,
      cpuMsPerCameraSecond: (controlPlane.coreShare * 1000) / controlPlane.cameras,
      inSum: true,
      how: `(Node + redis-server CPU) / wall / cameras in the real-time replay: ${(controlPlane.coreShare * 100).toFixed(2)}% of one core for ${controlPlane.cameras} cameras`,
    });
  }
  const haveAll = !!ingestDecode && !!inf1;
  const stageSum = haveAll ? table.filter((r) => r.inSum).reduce((s, r) => s + r.cpuMsPerCameraSecond, 0) : undefined;
  if (!haveAll) omitted.push('end-to-end stage sum (a stage is missing)');
  const heldOpen = heldOpenSum(table, stageSum, ingestDecode?.native?.memoryMbPerCamera);
  if (haveAll && !heldOpen) omitted.push('held-open (native) end-to-end sum: no native ingest row');
  return { table, stageSum, heldOpen };
}
