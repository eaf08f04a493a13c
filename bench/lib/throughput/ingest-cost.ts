/**
 * Ingest and decode costs on the real RTSP server (the load generator, whose CPU is not counted): first one
 * `ffmpeg -c copy -f null` per mount (RTSP ingest alone), then the production camera source (keyframe-only
 * decode, scale/letterbox to the detector input, pipe to Node). Decode + scale is the difference of the two.
 * Then, on the same mounts, the native transport and a Frigate-style full-decode baseline, for comparison.
 */
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { KeyframeDecoderPool } from '../../../src/decode/decoder-pool.js';
import type { FfmpegBinary } from '../../../src/decode/ffmpeg-path.js';
import { preRollSecondsFor } from '../../../src/evidence/clip-recorder.js';
import { createCameraSource, type CameraSource } from '../../../src/ingest/camera-source.js';
import { CameraFarm } from '../../../support/camera-farm/farm-process.js';
import { ReadPacer } from '../../../src/ingest/rtsp/read-pacer.js';
import { cpuMsPerCameraSecond, cpuOverWindow, cpuUsageMs, memoryPerProcess, processCpuMs, readMemory, type ProcMemory } from './cpu.js';
import { INTERVAL_SEC, type Plan } from './plan.js';
import type { ThroughputResult } from './result.js';
import { measureFrigateBaseline, type FrigateBaselineCost } from './frigate-baseline.js';
import { RtspLoad } from './rtsp-load.js';
import type { StageProgress } from './stage-progress.js';

export interface IngestDecodeCost {
  ingest: NonNullable<ThroughputResult['stages']['ingest']>;
  decode: NonNullable<ThroughputResult['stages']['decode']>;
  /** The same N streams with `transport: native`; undefined when that measurement failed (see nativeError). */
  native?: NonNullable<ThroughputResult['stages']['nativeIngest']>;
  nativeError?: string;
  /** Frigate-style full decode at 5 fps on the same streams; undefined when it failed (see frigateError). */
  frigate?: FrigateBaselineCost;
  frigateError?: string;
}

type Model = { width: number; height: number; pixelFormat: 'rgb24' | 'bgr24' };
type Wait = (sec: number, detail: string) => Promise<void>;

/** RTSP ingest (ffmpeg -c copy -f null) and the real camera source (keyframe decode + scale), on N mounts. */
export async function measureIngestAndDecode(
  plan: Plan,
  clip: string,
  ffmpeg: FfmpegBinary,
  model: Model,
  progress: StageProgress,
): Promise<IngestDecodeCost> {
  const { streams: n, warmupSec, windowSec, decodeWindowSec } = plan.ingest;
  const mounts = Array.from({ length: n }, (_, k) => `cam${k + 1}`);
  const server = await RtspLoad.start({ mounts, clip, ffmpeg: ffmpeg.path });
  const total = warmupSec * 4 + windowSec + decodeWindowSec * 3 + 8;
  let elapsed = 0;
  const wait = async (sec: number, detail: string) => {
    for (let s = 0; s < sec; s++) {
      progress.update(elapsed / total, detail);
      await sleep(1000);
      elapsed++;
    }
  };
  try {
    // 1. RTSP ingest only: what one ffmpeg per camera costs before any decoding.
    const pulls = mounts.map((m) =>
      spawn(ffmpeg.path, ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error', '-rtsp_transport', 'tcp', `-${ffmpeg.features.rtspSocketTimeout}`, '10000000', '-i', server.url(m), '-map', '0:v:0', '-c', 'copy', '-f', 'null', '-'], { stdio: ['ignore', 'ignore', 'pipe'] }),
    );
    let ingest: NonNullable<ThroughputResult['stages']['ingest']>;
    try {
      await wait(warmupSec, `RTSP ingest: ${n} × ffmpeg -c copy -f null, warming up`);
      const pids = pulls.map((p) => p.pid!).filter((p) => p !== undefined);
      const before = pids.map((p) => processCpuMs(p) ?? Number.NaN);
      const t0 = performance.now();
      await wait(windowSec, `RTSP ingest: ${n} × ffmpeg -c copy -f null, measuring`);
      const mem = pids.map(readMemory).filter((m) => m !== undefined);
      const after = pids.map((p) => processCpuMs(p) ?? Number.NaN);
      const sec = (performance.now() - t0) / 1000;
      const { ran, cpuMs: cpu } = cpuOverWindow(before, after);
      if (ran < n) progress.note(`warning: ${n - ran} of ${n} ingest ffmpeg processes exited during the window`);
      ingest = {
        streams: ran,
        windowSec: sec,
        cpuMsPerCameraSecond: cpuMsPerCameraSecond(cpu, ran, sec),
        ...memoryPerProcess(mem),
      };
    } finally {
      for (const p of pulls) p.kill('SIGKILL');
    }

    // 2. The production camera source: RTSP + keyframe-only decode + select + scale/letterbox + pipe to Node.
    const sources: CameraSource[] = mounts.map((m, k) =>
      createCameraSource(
        // One ffmpeg per camera, pinned: an rtsp:// camera without a transport would get the in-process client.
        { id: `cam${k + 1}`, url: server.url(m), loop: false, intervalSec: INTERVAL_SEC, decode: 'keyframe', transport: 'ffmpeg' },
        { width: model.width, height: model.height, pixelFormat: model.pixelFormat, ffmpeg },
      ),
    );
    let frames = 0;
    let measuring = false;
    for (const s of sources) s.onFrame(() => void (measuring && frames++));
    let decode: IngestDecodeCost['decode'];
    for (const s of sources) s.start();
    try {
      const liveBy = Date.now() + 20_000;
      while (sources.some((s) => s.status.state !== 'live') && Date.now() < liveBy) await sleep(250);
      await wait(warmupSec + 2, `camera source: ${n} × keyframe decode + scale to ${model.width}×${model.height}, warming up`);
      const pids = sources.map((s) => s.pid).filter((p): p is number => p !== undefined);
      const before = pids.map((p) => processCpuMs(p) ?? Number.NaN);
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      measuring = true;
      await wait(decodeWindowSec, `camera source: ${n} × keyframe decode + scale, measuring`);
      measuring = false;
      const node = cpuUsageMs(cpu0);
      const mem = pids.map(readMemory).filter((m) => m !== undefined);
      const after = pids.map((p) => processCpuMs(p) ?? Number.NaN);
      const sec = (performance.now() - t0) / 1000;
      const { ran: ok, cpuMs: cpu } = cpuOverWindow(before, after);
      if (ok < n) progress.note(`warning: only ${ok} of ${n} camera sources ran through the window`);
      const ffmpegPerCamSec = cpuMsPerCameraSecond(cpu, ok, sec);
      decode = {
        streams: ok,
        windowSec: sec,
        ffmpegCpuMsPerCameraSecond: ffmpegPerCamSec,
        nodeCpuMsPerCameraSecond: cpuMsPerCameraSecond(node, ok, sec),
        decodeScaleCpuMsPerCameraSecond: ffmpegPerCamSec - ingest.cpuMsPerCameraSecond,
        framesPerCameraMinute: (frames / Math.max(1, ok) / sec) * 60,
        ...memoryPerProcess(mem),
      };
    } finally {
      await Promise.all(sources.map((s) => s.stop()));
    }

    // 3. transport native, many cameras in this process against the camera farm: the in-process RTSP client,
    // one read pacer and one shared keyframe decoder pool. 4. A Frigate-style full decode at 5 fps. Neither fails the stage: an error is reported beside the
    // ffmpeg figures.
    const out: IngestDecodeCost = { ingest, decode };
    try {
      out.native = await measureNative(clip, ffmpeg, model, plan, wait, progress);
    } catch (err) {
      out.nativeError = failed('native ingest', err, progress);
    }
    try {
      const window = { warmupSec, windowSec: decodeWindowSec };
      out.frigate = await measureFrigateBaseline(mounts.map((m) => server.url(m)), ffmpeg, model, window, wait, progress);
    } catch (err) {
      out.frigateError = failed('Frigate-style baseline', err, progress);
    }
    return out;
  } finally {
    await server.stop();
  }
}

/**
 * `transport: native` as one process holds many cameras: plan.ingest.nativeStreams cameras against the camera
 * farm (support/camera-farm: one RTSP server process of live mounts, the clip re-encoded to the patrol profile;
 * its CPU is reported, not counted), each with the packet ring the pipeline gives it when evidence clips are on,
 * all read by one read pacer and decoded by one pool. CPU = this Node process (process.cpuUsage: RTSP client,
 * depacketizing, ring, GOP handling, frame hand-off) + the pool's decoder processes (/proc; a decoder started
 * during the window counts from 0). Memory per camera = growth of this process's RSS over the run / N + the
 * pool's RSS (and PSS) / N.
 */
async function measureNative(clip: string, ffmpeg: FfmpegBinary, model: Model, plan: Plan, wait: Wait, progress: StageProgress): Promise<NonNullable<IngestDecodeCost['native']>> {
  const n = plan.ingest.nativeStreams;
  const { warmupSec, decodeWindowSec } = plan.ingest;
  progress.note(`native source: starting the camera farm (${n} live mounts, encoding the clip once)`);
  const farm = await CameraFarm.start({ mounts: n, source: clip, loopSec: 20 });
  try {
    return await measureNativeOn(farm, ffmpeg, model, warmupSec, decodeWindowSec, wait, progress);
  } finally {
    await farm.stop();
  }
}

async function measureNativeOn(farm: CameraFarm, ffmpeg: FfmpegBinary, model: Model, warmupSec: number, decodeWindowSec: number, wait: Wait, progress: StageProgress): Promise<NonNullable<IngestDecodeCost['native']>> {
  const n = farm.mounts;
  const rss0 = process.memoryUsage().rss;
  const pool = new KeyframeDecoderPool({ ffmpegPath: ffmpeg.path, width: model.width, height: model.height, pixelFormat: model.pixelFormat });
  // As the pipeline runs them: one read pacer for all the native cameras of the process.
  const readPacer = new ReadPacer();
  let sources: CameraSource[] = [];
  try {
    sources = Array.from({ length: n }, (_, k) =>
      createCameraSource(
        { id: `cam${k + 1}`, url: farm.url(k + 1), loop: false, intervalSec: INTERVAL_SEC, decode: 'keyframe', transport: 'native' },
        { width: model.width, height: model.height, pixelFormat: model.pixelFormat, ffmpeg, decoderPool: pool, readPacer, packetRing: { seconds: preRollSecondsFor() } },
      ),
    );
    let frames = 0;
    let measuring = false;
    for (const s of sources) s.onFrame(() => void (measuring && frames++));
    for (const s of sources) s.start();
    const liveBy = Date.now() + 20_000;
    while (sources.some((s) => s.status.state !== 'live') && Date.now() < liveBy) await sleep(250);
    await wait(warmupSec + 2, `native source: ${n} × in-process RTSP + shared keyframe decoder pool, warming up`);
    const pids0 = pool.pids;
    const before = new Map(pids0.map((p) => [p, processCpuMs(p) ?? Number.NaN]));
    const farm0 = processCpuMs(farm.pid) ?? Number.NaN;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    measuring = true;
    await wait(decodeWindowSec, `native source: ${n} × in-process RTSP + shared decoder pool, measuring`);
    measuring = false;
    const node = cpuUsageMs(cpu0);
    const farmCpu = (processCpuMs(farm.pid) ?? Number.NaN) - farm0;
    const rss1 = process.memoryUsage().rss;
    const pids1 = pool.pids;
    const mem = pids1.map(readMemory).filter((m) => m !== undefined);
    let poolCpu = 0;
    let lost = 0;
    for (const p of new Set([...pids0, ...pids1])) {
      const a = processCpuMs(p);
      const b = before.has(p) ? before.get(p)! : 0;
      if (a === undefined || !Number.isFinite(b)) lost++;
      else poolCpu += a - b;
    }
    const sec = (performance.now() - t0) / 1000;
    if (lost) progress.note(`warning: ${lost} decoder process(es) of the native pool exited during the window (their CPU is not counted)`);
    const live = sources.filter((s) => s.status.state === 'live').length;
    if (live < n) progress.note(`warning: only ${live} of ${n} native sources were live at the end of the window`);
    const sumKb = (kb: (m: ProcMemory) => number) => mem.reduce((s, m) => s + kb(m), 0) / 1024;
    const nodeRssGrowthMbPerCamera = (rss1 - rss0) / 1024 / 1024 / n;
    const poolRssMbPerCamera = sumKb((m) => m.rssKb) / n;
    return {
      streams: n,
      liveAtEnd: live,
      windowSec: sec,
      cpuMsPerCameraSecond: cpuMsPerCameraSecond(node + poolCpu, n, sec),
      nodeCpuMsPerCameraSecond: cpuMsPerCameraSecond(node, n, sec),
      poolCpuMsPerCameraSecond: cpuMsPerCameraSecond(poolCpu, n, sec),
      decoders: pids1.length,
      framesPerCamera: frames / n,
      framesPerCameraMinute: (frames / n / sec) * 60,
      nodeRssGrowthMbPerCamera,
      poolRssMbPerCamera,
      poolPssMbPerCamera: sumKb((m) => m.pssKb) / n,
      server: `camera farm, ${n} live mounts`,
      serverCpuMsPerCameraSecond: cpuMsPerCameraSecond(farmCpu, n, sec),
      // A GC between the two readings can leave the heap smaller than at the start: never count that as negative memory.
      memoryMbPerCamera: Math.max(0, nodeRssGrowthMbPerCamera) + poolRssMbPerCamera,
    };
  } finally {
    await Promise.all(sources.map((s) => s.stop()));
    await pool.close();
  }
}

/** Notes a comparison measurement that failed; its first line goes to the report's "Not measured". */
function failed(what: string, err: unknown, progress: StageProgress): string {
  const msg = err instanceof Error ? err.message : String(err);
  progress.note(`${what} measurement failed: ${msg}`);
  return msg.split('\n')[0]!;
}
