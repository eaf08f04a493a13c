import type { FfmpegFeatures } from './ffmpeg-path.js';

export type PixelFormat = 'rgb24' | 'bgr24';

export type DecodeInput =
  | {
      kind: 'rtsp';
      url: string;
      /** Socket I/O timeout: a stalled camera makes ffmpeg exit. */
      socketTimeoutMs: number;
      /** How long ffmpeg may read the stream before decoding (ffmpeg's default: 5 s). */
      analyzeDurationMs?: number;
    }
  | { kind: 'file'; path: string; /** Restart at the end, forever. */ loop: boolean; /** Read at native frame rate (`-re`). */ realtime: boolean };

export interface DecodeArgsOptions {
  input: DecodeInput;
  /** keyframe: the decoder skips every non-key frame; interval: decode all and sample. */
  decode: 'keyframe' | 'interval';
  /** Keep at most one frame per this many seconds of stream time. */
  intervalSec: number;
  width: number;
  height: number;
  pixelFormat: PixelFormat;
  features: FfmpegFeatures;
}

/** Grey 114 — the value YOLOX letterboxes with (also in the model manifests' `padValue`). */
export const PAD_COLOR = '0x727272';

/**
 * The ffmpeg command line for one camera: decode (keyframes only, or all), sample one frame per interval,
 * scale into the top-left of a W×H letterbox, and write packed RGB/BGR frames to stdout.
 *
 * Timestamps: `showinfo` (after `select`, so only kept frames) prints each frame's number and pts_time on
 * stderr, which the caller already reads for errors and the stream size. It costs one short line per kept
 * frame (with `checksum=0`, nothing per pixel); the alternatives — a container on stdout (nut) to parse in
 * Node, or a second process to probe — cost more code or more CPU. Pts is relative to the stream start
 * (no `-copyts`), which is what `analyze` wants; live sources stamp frames with the wall clock anyway.
 */
export function buildDecodeArgs(o: DecodeArgsOptions): string[] {
  const args = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'info'];
  // One decoder thread: frame threading would hold back N keyframes (N × GOP of latency) and buys nothing
  // when a core serves hundreds of cameras.
  args.push('-threads', '1');
  if (o.decode === 'keyframe') args.push('-skip_frame', 'nokey');
  if (o.input.kind === 'rtsp') {
    const us = String(Math.max(1, Math.round(o.input.socketTimeoutMs * 1000)));
    args.push('-rtsp_transport', 'tcp', `-${o.features.rtspSocketTimeout}`, us);
    if (o.input.analyzeDurationMs !== undefined) args.push('-analyzeduration', String(Math.round(o.input.analyzeDurationMs * 1000)));
    args.push('-i', o.input.url);
  } else {
    if (o.input.realtime) args.push('-re');
    if (o.input.loop) args.push('-stream_loop', '-1');
    args.push('-i', o.input.path);
  }
  args.push('-map', '0:v:0', '-an', '-sn', '-dn', '-filter_threads', '1');
  args.push('-vf', buildVideoFilter(o));
  // Passthrough: rawvideo is a constant-frame-rate muxer by default, which would duplicate frames to fill gaps.
  args.push(...(o.features.fpsMode ? ['-fps_mode', 'passthrough'] : ['-vsync', '0']));
  // Output -threads 1: the rawvideo encoder is frame-threaded by default, and a worker that is still busy when
  // ffmpeg polls holds the frame until the next one arrives — in keyframe mode a whole GOP of latency (measured
  // on 5.1: one frame late on most runs of a loaded machine). -flush_packets 1: no frame tail waits in AVIO.
  args.push('-threads', '1', '-f', 'rawvideo', '-pix_fmt', o.pixelFormat, '-flush_packets', '1', 'pipe:1');
  return args;
}

/**
 * select (sample before any per-pixel work) → showinfo (timestamps) → bilinear scale into the box, keeping
 * the aspect ratio (half the cost of bicubic) → pixel format → pad right and bottom with grey 114.
 * `format=` before `pad` makes swscale convert once and pad paint exact RGB, not a YUV approximation.
 */
export function buildVideoFilter(o: Pick<DecodeArgsOptions, 'intervalSec' | 'width' | 'height' | 'pixelFormat' | 'features'>): string {
  const { width: w, height: h } = o;
  return [
    `select='${selectExpression(o.intervalSec)}'`,
    o.features.showinfoChecksumOption ? 'showinfo=checksum=0' : 'showinfo',
    `scale=${w}:${h}:force_original_aspect_ratio=decrease:flags=bilinear`,
    `format=${o.pixelFormat}`,
    `pad=${w}:${h}:0:0:color=${PAD_COLOR}`,
  ].join(',');
}

/**
 * Keep the first frame, then the first frame at least `intervalSec` (less a small tolerance, so a 5 s GOP
 * with 5 s interval keeps every keyframe despite timestamp rounding) after the last kept one. A timestamp
 * that jumps backwards (camera restart, loop without offset) re-arms the sampler instead of stalling it.
 * In keyframe mode the interval rounds up to the GOP: GOP 2 s, interval 5 s → one frame every 6 s.
 */
export function selectExpression(intervalSec: number): string {
  const tolerance = Math.min(0.25, intervalSec * 0.05);
  const min = Number((intervalSec - tolerance).toFixed(6));
  return `isnan(prev_selected_t)+gte(t-prev_selected_t,${min})+lt(t,prev_selected_t)`;
}

/**
 * Size of the picture inside the letterbox, computed as ffmpeg's scale filter does with
 * force_original_aspect_ratio=decrease (av_rescale rounds to nearest).
 */
export function letterboxContentSize(srcW: number, srcH: number, w: number, h: number): { width: number; height: number } {
  if (srcW <= 0 || srcH <= 0) return { width: w, height: h };
  const tmpW = Math.round((h * srcW) / srcH);
  const tmpH = Math.round((w * srcH) / srcW);
  return { width: Math.max(1, Math.min(tmpW, w)), height: Math.max(1, Math.min(tmpH, h)) };
}
