/** The JSON that bench:throughput writes (bench/results/throughput.json), shared by the bench and its report. */
import type { Summary } from '../shared/percentile.js';
import type { LineFit, Projection } from './projection.js';
import type { TargetCheck } from './targets.js';
import type { MissResult } from './live-metrics.js';
import type { TourCost } from './tour-cost.js';
import type { HeldOpenSum } from './held-open.js';
import type { IngestRatios } from './ingest-ratios.js';

export interface StageRow {
  stage: string;
  cpuMsPerCameraSecond: number;
  /** Part of the end-to-end sum (alternatives and subtotals are not). */
  inSum: boolean;
  how: string;
  /** Which way frames come in, for the ingest rows: the held-open (native) sum swaps the ffmpeg rows for the native one. */
  ingestPath?: 'ffmpeg' | 'native' | 'frigate';
}

export interface InferenceRow {
  threads: number;
  batch: number;
  frames: number;
  cpuMsPerFrame: number;
  wallMsPerFrame: number;
  /** At one frame per camera per intervalSec. */
  cpuMsPerCameraSecond: number;
}

export interface MemoryFigures {
  /** Mean over processes of VmRSS, MB. */
  rssMbPerProcess: number;
  /** Mean over processes of RssAnon (private), MB. */
  anonMbPerProcess: number;
  /** Mean over processes of PSS (shared pages divided among sharers), MB. */
  pssMbPerProcess: number;
}

export interface LiveStep {
  k: number;
  windowSec: number;
  /** Cameras live at the start and at the end of the window. */
  liveAtStart?: number;
  liveCameras: number;
  /** Camera source states at the end of the window, and the commonest reasons for backoff/failed. */
  statesAtEnd?: Record<string, number>;
  sourceProblems?: string[];
  /** Share of one core used by the RTSP server process (load generator) — near 1 means the server is saturated. */
  rtspServerCoreShare?: number;
  sustained: boolean;
  why?: string;
  /** Pipeline process + its ffmpeg children, per camera-second. */
  cpuMsPerCameraSecond: number;
  nodeCpuMsPerCameraSecond: number;
  ffmpegCpuMsPerCameraSecond: number;
  /** RTSP server + feeders (excluded from the pipeline's figures), per camera-second. */
  loadGeneratorCpuMsPerCameraSecond: number;
  misses: MissResult;
  /** Frame arrival → analysis finished (score, evidence, publish of any event), every analyzed frame. */
  latency: Summary;
  /** Frame arrival → queue accepted, for frames that raised an event. */
  publishLatency: Summary;
  eventsPublished: number;
  /** Peak over the window of (pipeline RSS + Σ ffmpeg RSS). */
  rssMb: { pipeline: number; ffmpeg: number; total: number; perStream: number; anonTotal: number; anonPerStream: number; pssTotal: number; pssPerStream: number };
  inferenceMsPerFrame: number;
  loadAverage: number;
}

export interface ThroughputResult {
  schema: 'patrol-bench-throughput/1';
  mode: 'quick' | 'full';
  startedAt: string;
  durationSec: number;
  environment: { cpu: string; cores: number; node: string; ffmpeg: string; loadAverageStart: number; loadAverageEnd: number; note: string };
  clip: { file: string; width: number; height: number; fps: number; gopFrames: number; kbps: number; durationSec: number };
  intervalSec: number;
  model: { manifest: string; name: string; input: string; pipelineBatch: number; pipelineThreads: number; batchNote: string };
  stages: {
    ingest?: { streams: number; windowSec: number; cpuMsPerCameraSecond: number } & MemoryFigures;
    decode?: {
      streams: number;
      windowSec: number;
      ffmpegCpuMsPerCameraSecond: number;
      nodeCpuMsPerCameraSecond: number;
      decodeScaleCpuMsPerCameraSecond: number;
      framesPerCameraMinute: number;
    } & MemoryFigures;
    /**
     * The same streams with `transport: native` (in-process RTSP client + one shared keyframe decoder pool):
     * Node CPU (process.cpuUsage) + the pool's decoder processes, per camera-second over N cameras; not in the sum.
     */
    nativeIngest?: {
      streams: number;
      liveAtEnd: number;
      windowSec: number;
      cpuMsPerCameraSecond: number;
      nodeCpuMsPerCameraSecond: number;
      poolCpuMsPerCameraSecond: number;
      decoders: number;
      framesPerCamera: number;
      framesPerCameraMinute: number;
      /** Growth of the bench process's RSS over the native run / N, MB. */
      nodeRssGrowthMbPerCamera: number;
      /** Σ decoder RSS / N, MB. */
      poolRssMbPerCamera: number;
      poolPssMbPerCamera: number;
      /** max(0, nodeRssGrowthMbPerCamera) + poolRssMbPerCamera. */
      memoryMbPerCamera: number;
      /** What served the streams (the camera farm); absent in results from before it. */
      server?: string;
      /** The server's CPU per camera-second (not counted). */
      serverCpuMsPerCameraSecond?: number;
    };
    /**
     * Frigate-style baseline on the same streams (one ffmpeg per camera, full decode, fps=5 + scale to the
     * detector input, raw frames on a pipe): ffmpeg (/proc) + the pipe reader (process.cpuUsage); not in the sum.
     */
    frigateBaseline?: {
      streams: number;
      windowSec: number;
      fps: number;
      width: number;
      height: number;
      /** ffmpeg + reader. */
      cpuMsPerCameraSecond: number;
      ffmpegCpuMsPerCameraSecond: number;
      readerCpuMsPerCameraSecond: number;
      framesPerCameraSecond: number;
    } & MemoryFigures;
    /** Tour mode: one TourRunner touring N camera-farm mounts at the default slots, measured; the capacity projection beside it. */
    tour?: TourCost;
    inference?: { rows: InferenceRow[]; note: string };
    scoring?: { cameras: number; steps: number; cpuMsPerStep: number; cpuMsPerCameraSecond: number; changes: number };
    dispatch?: {
      embedded: { messages: number; cpuMsPerPublish: number; wall: Summary };
      bullmq: { messages: number; nodeCpuMsPerPublish: number; redisCpuMsPerPublish: number; cpuMsPerPublish: number; wall: Summary };
      publishesPerCameraSecond: number;
      publishRateSource: string;
    };
  };
  stageTable: StageRow[];
  stageSumCpuMsPerCameraSecond?: number;
  /** The end-to-end sum with the native ingest row in place of the ffmpeg rows. */
  heldOpen?: HeldOpenSum;
  /** ffmpeg camera source vs native client vs Frigate-style full decode on the same streams. */
  ingestRatios?: IngestRatios;
  controlPlane?: {
    cameras: number;
    fixtures: string[];
    prerollSec: number;
    windowSec: number;
    frames: number;
    publishes: number;
    /** Largest number of publishes within one second (events cluster: updates every 30 s per open event). */
    publishesPerSecondMax: number;
    openEvents: number;
    nodeCoreShare: number;
    redisCoreShare: number;
    coreShare: number;
    publishLatency: Summary;
    handleLatency: Summary;
  };
  live?: {
    /** How the cameras were received; absent in results from before the ramp ran native. */
    transport?: 'native' | 'ffmpeg';
    steps: LiveStep[];
    maxSustainedK: number;
    stoppedBecause: string;
    memoryFit?: LineFit;
    /** Same over summed PSS (physical memory). */
    privateMemoryFit?: LineFit;
  };
  projection?: { streams: number; fromStages: Projection; /** From the PSS fit. */ privateMemoryMb?: number; fromLive?: Projection; note: string };
  targets: TargetCheck[];
  passed: boolean;
  omitted: string[];
}
