/** Fake measurements for the bench:throughput stage-table tests: a 4-stream ingest run and the other stages' inputs. */
import type { IngestDecodeCost } from '../../bench/lib/throughput/ingest-cost.js';

const mem = { rssMbPerProcess: 20, anonMbPerProcess: 8, pssMbPerProcess: 10 };

/** ffmpeg rows: ingest 2 + decode/scale 4 + hand-off 0.5; the camera source's ffmpeg 6 (+ 0.5 hand-off). */
export const fakeIngest: IngestDecodeCost = {
  ingest: { streams: 4, windowSec: 10, cpuMsPerCameraSecond: 2, ...mem },
  decode: { streams: 4, windowSec: 12, ffmpegCpuMsPerCameraSecond: 6, nodeCpuMsPerCameraSecond: 0.5, decodeScaleCpuMsPerCameraSecond: 4, framesPerCameraMinute: 10, ...mem },
};

export const fakeNative: NonNullable<IngestDecodeCost['native']> = {
  streams: 4, liveAtEnd: 4, windowSec: 12, cpuMsPerCameraSecond: 1.5, nodeCpuMsPerCameraSecond: 1, poolCpuMsPerCameraSecond: 0.5, decoders: 1,
  framesPerCamera: 2, framesPerCameraMinute: 10, nodeRssGrowthMbPerCamera: 1, poolRssMbPerCamera: 3, poolPssMbPerCamera: 2, memoryMbPerCamera: 4,
};

/** 3× the ffmpeg path with its hand-off (6.5), 13× the native path (1.5). */
export const fakeFrigate: NonNullable<IngestDecodeCost['frigate']> = {
  streams: 4, windowSec: 12, fps: 5, width: 416, height: 416, cpuMsPerCameraSecond: 19.5, ffmpegCpuMsPerCameraSecond: 19, readerCpuMsPerCameraSecond: 0.5, framesPerCameraSecond: 5,
  rssMbPerProcess: 40, anonMbPerProcess: 20, pssMbPerProcess: 25,
};

/** Everything stageTable takes besides ingest: inference 10 CPU-ms per camera-second, no dispatch or control plane. */
export const fakeStages = {
  inferenceRows: [{ threads: 1, batch: 1, frames: 8, cpuMsPerFrame: 50, wallMsPerFrame: 50, cpuMsPerCameraSecond: 10 }],
  pipelineBatch: 1,
  scoring: { cameras: 10, steps: 10, cpuMsPerStep: 0.01, cpuMsPerCameraSecond: 0.002, changes: [] },
  dispatch: undefined,
  controlPlane: undefined,
  model: 'models/yolox_nano-coco.json',
};
