/**
 * A Frigate-style baseline on the same RTSP mounts as the ingest rows: one ffmpeg per camera decoding every
 * frame, `-vf fps=5,scale=W:H` to the detector input and raw yuv420p on a pipe (Frigate's detect process), read
 * and counted here and thrown away. Not part of Patrol: it is the design Patrol's keyframe-only path is compared
 * with. CPU = the ffmpeg processes (/proc utime+stime) + this process reading the pipes (process.cpuUsage).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FfmpegBinary } from '../../../src/decode/ffmpeg-path.js';
import { cpuMsPerCameraSecond, cpuOverWindow, cpuUsageMs, memoryPerProcess, processCpuMs, readMemory } from './cpu.js';
import type { ThroughputResult } from './result.js';
import type { StageProgress } from './stage-progress.js';

/** Frigate's default detect fps. */
export const FRIGATE_DETECT_FPS = 5;

export type FrigateBaselineCost = NonNullable<ThroughputResult['stages']['frigateBaseline']>;

/** Frigate's detect ffmpeg (RTSP over TCP, full decode, fps + scale filter, raw frames on stdout). */
export function frigateArgs(ffmpeg: FfmpegBinary, url: string, width: number, height: number): string[] {
  return [
    '-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error',
    '-rtsp_transport', 'tcp', `-${ffmpeg.features.rtspSocketTimeout}`, '10000000', '-i', url,
    '-map', '0:v:0', '-an', '-vf', `fps=${FRIGATE_DETECT_FPS},scale=${width}:${height}`, '-f', 'rawvideo', '-pix_fmt', 'yuv420p', 'pipe:1',
  ];
}

/** N Frigate-style decoders over `urls` for one warm-up and one window of the plan's decode length. */
export async function measureFrigateBaseline(
  urls: string[],
  ffmpeg: FfmpegBinary,
  size: { width: number; height: number },
  window: { warmupSec: number; windowSec: number },
  wait: (sec: number, detail: string) => Promise<void>,
  progress: StageProgress,
): Promise<FrigateBaselineCost> {
  const n = urls.length;
  const frameBytes = (size.width * size.height * 3) / 2; // yuv420p
  let bytes = 0;
  let measuring = false;
  const procs: ChildProcess[] = urls.map((u) => spawn(ffmpeg.path, frigateArgs(ffmpeg, u, size.width, size.height), { stdio: ['ignore', 'pipe', 'ignore'] }));
  const started = new Set<ChildProcess>();
  for (const p of procs) {
    p.stdout!.on('data', (b: Buffer) => {
      started.add(p);
      if (measuring) bytes += b.length;
    });
  }
  const detail = `Frigate-style baseline: ${n} × ffmpeg full decode, fps=${FRIGATE_DETECT_FPS}, scale to ${size.width}×${size.height}`;
  try {
    const liveBy = Date.now() + 20_000;
    while (started.size < n && Date.now() < liveBy) await sleep(250);
    if (started.size < n) progress.note(`warning: ${n - started.size} of ${n} Frigate-style decoders gave no frame in 20 s`);
    await wait(window.warmupSec + 2, `${detail}, warming up`);
    const pids = procs.map((p) => p.pid).filter((p): p is number => p !== undefined);
    const before = pids.map((p) => processCpuMs(p) ?? Number.NaN);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    measuring = true;
    await wait(window.windowSec, `${detail}, measuring`);
    measuring = false;
    const reader = cpuUsageMs(cpu0);
    const mem = pids.map(readMemory).filter((m) => m !== undefined);
    const after = pids.map((p) => processCpuMs(p) ?? Number.NaN);
    const sec = (performance.now() - t0) / 1000;
    const { ran, cpuMs } = cpuOverWindow(before, after);
    if (ran < n) progress.note(`warning: only ${ran} of ${n} Frigate-style decoders ran through the window`);
    if (ran === 0) throw new Error('no Frigate-style decoder ran through the window');
    const ff = cpuMsPerCameraSecond(cpuMs, ran, sec);
    const rd = cpuMsPerCameraSecond(reader, ran, sec);
    return {
      streams: ran,
      windowSec: sec,
      fps: FRIGATE_DETECT_FPS,
      width: size.width,
      height: size.height,
      cpuMsPerCameraSecond: ff + rd,
      ffmpegCpuMsPerCameraSecond: ff,
      readerCpuMsPerCameraSecond: rd,
      framesPerCameraSecond: bytes / frameBytes / ran / sec,
      ...memoryPerProcess(mem),
    };
  } finally {
    for (const p of procs) p.kill('SIGKILL');
  }
}
