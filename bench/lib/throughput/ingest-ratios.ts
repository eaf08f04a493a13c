/**
 * The three ways of getting frames out of held-open RTSP cameras, side by side on the same streams: Patrol's
 * ffmpeg camera source, Patrol's native client with the shared decoder pool, and the Frigate-style full decode.
 * Each figure counts everything up to frames in Node (the ffmpeg path with its hand-off, the native path with its
 * RTSP client, Frigate's with its pipe reader), so the ratios compare like with like. Pure.
 */
import type { IngestDecodeCost } from './ingest-cost.js';

export interface IngestRatios {
  cpuMsPerCameraSecond: { ffmpeg: number; native?: number; frigate?: number };
  /** MB per camera: RSS per ffmpeg process; the native path's Node RSS growth + pool RSS, / N. */
  memoryMbPerCamera: { ffmpeg: number; native?: number; frigate?: number };
  nativeVsFfmpeg?: number;
  frigateVsNative?: number;
  frigateVsFfmpeg?: number;
}

export function ingestRatios(c: IngestDecodeCost): IngestRatios {
  const ffmpeg = c.decode.ffmpegCpuMsPerCameraSecond + c.decode.nodeCpuMsPerCameraSecond;
  const native = c.native?.cpuMsPerCameraSecond;
  const frigate = c.frigate?.cpuMsPerCameraSecond;
  const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined && b > 0 ? a / b : undefined);
  return {
    cpuMsPerCameraSecond: { ffmpeg, native, frigate },
    memoryMbPerCamera: { ffmpeg: c.decode.rssMbPerProcess, native: c.native?.memoryMbPerCamera, frigate: c.frigate?.rssMbPerProcess },
    nativeVsFfmpeg: ratio(native, ffmpeg),
    frigateVsNative: ratio(frigate, native),
    frigateVsFfmpeg: ratio(frigate, ffmpeg),
  };
}

/** "native 0.31× ffmpeg, Frigate 4.2× native, 1.3× ffmpeg" — the parts that were measured. */
export function ratiosLine(r: IngestRatios): string {
  const x = (v: number | undefined) => (v === undefined ? '—' : `${v.toFixed(2)}×`);
  const parts = [`native ${x(r.nativeVsFfmpeg)} ffmpeg`];
  if (r.frigateVsFfmpeg !== undefined) parts.push(`Frigate-style ${x(r.frigateVsNative)} native, ${x(r.frigateVsFfmpeg)} ffmpeg`);
  return parts.join('; ');
}
