import type { FfmpegFeatures } from './ffmpeg-path.js';
import { inputScript, scriptInputArgs } from './secret-input.js';

export type PixelFormat = 'rgb24' | 'bgr24';

export type DecodeInput =
  | {
      kind: 'rtsp';
      url: string;
      /** Socket I/O timeout: a stalled camera makes ffmpeg exit. */
      socketTimeoutMs: number;
      /** How long ffmpeg may read the stream before decoding (ffmpeg's default: 5 s). */
      analyzeDurationMs?: number;
      /** How RTP travels (camera rtspTransport); default tcp, interleaved in the RTSP connection. */
      rtspTransport?: 'tcp' | 'udp';
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
  /** Also copy the compressed stream into a ring of segments (clips for evidence). Default: off. */
  ring?: RingOutput;
}

/**
 * The second output: the camera's compressed video, stream-copied (no decode, no encode) into a ring of
 * MPEG-TS segments that clips are cut from. `-skip_frame nokey` is a decoder option, so the copy still
 * carries every packet. Segments start on keyframes (a 2 s GOP gives 2 s segments; a longer GOP, longer ones).
 */
export interface RingOutput {
  /** Absolute folder. */
  dir: string;
  /** Names for this ffmpeg run: segments `<prefix>-NNN.ts`, the list of completed ones `<prefix>.csv`. */
  prefix: string;
  /** Target segment length, seconds (cut at the first keyframe after it). */
  segmentSec: number;
  /** Segment files reused round-robin: the ring never holds more than this many per run. */
  wrap: number;
  /** Completed segments kept in the list; below `wrap - 1`, so a listed file is never the one being rewritten. */
  listSize: number;
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
  // Stream copy keeps the demuxer's time base (90 kHz for RTSP/TS); without it the tee muxer would get 1/fps
  // and round a real camera's jittery timestamps onto a frame grid. Only stream copies are affected.
  if (o.ring) args.push('-copytb', '1');
  // One decoder thread: frame threading would hold back N keyframes (N × GOP of latency) and buys nothing
  // when a core serves hundreds of cameras.
  args.push('-threads', '1');
  if (o.decode === 'keyframe') args.push('-skip_frame', 'nokey');
  if (o.input.kind === 'rtsp') {
    // The URL and its options reach ffmpeg through a pipe (decodeInputScript), never the command line.
    if (o.input.analyzeDurationMs !== undefined) args.push('-analyzeduration', String(Math.round(o.input.analyzeDurationMs * 1000)));
    args.push(...scriptInputArgs());
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
  if (o.ring) args.push(...buildRingOutputArgs(o.ring));
  return args;
}

/**
 * What `buildDecodeArgs` leaves out of the command line for a network input: the ffconcat script with the
 * URL and the RTSP options, for fd 3 (see secret-input.ts). Undefined for files.
 */
export function decodeInputScript(input: DecodeInput, features: FfmpegFeatures, concatOptions: boolean): string | undefined {
  if (input.kind !== 'rtsp') return undefined;
  const options: Record<string, string> = {
    rtsp_transport: input.rtspTransport ?? 'tcp',
    [features.rtspSocketTimeout]: String(Math.max(1, Math.round(input.socketTimeoutMs * 1000))),
  };
  // The inner demuxer probes the stream itself before the concat one does: both get the short probe.
  if (input.analyzeDurationMs !== undefined) options.analyzeduration = String(Math.round(input.analyzeDurationMs * 1000));
  return inputScript({ url: input.url, options, concatOptions });
}

/**
 * `-map 0:v:0 -c:v copy -f tee [f=segment:…:onfail=ignore]<dir>/<prefix>-%03d.ts|[f=null]-`.
 *
 * Why tee: a segment muxer that fails (disk full, folder removed) would end the whole ffmpeg and with it the
 * camera's detection. Inside tee with `onfail=ignore` the ring just stops for this run (ffmpeg logs
 * "Slave muxer #0 failed") and frames keep coming; the next reconnect tries again. The null slave is there
 * because tee gives up when its last slave fails.
 *
 * The segment list is rewritten (through `<list>.tmp` and a rename) each time a segment completes, holding
 * the newest `listSize` segments: `name,start,end` in stream seconds, the same time line as showinfo's pts.
 */
export function buildRingOutputArgs(r: RingOutput): string[] {
  if (!Number.isInteger(r.wrap) || !Number.isInteger(r.listSize) || r.listSize < 1 || r.listSize > r.wrap - 2) {
    throw new RangeError(`ring: need 1 ≤ listSize ≤ wrap − 2, got listSize ${r.listSize}, wrap ${r.wrap}`);
  }
  if (!(r.segmentSec > 0)) throw new RangeError(`ring: segmentSec must be positive, got ${r.segmentSec}`);
  if (!/^[A-Za-z0-9_]+$/.test(r.prefix)) throw new RangeError(`ring: prefix must be [A-Za-z0-9_]+, got ${JSON.stringify(r.prefix)}`);
  const dir = r.dir.replace(/\/+$/, '') || '/';
  const base = dir === '/' ? `/${r.prefix}` : `${dir}/${r.prefix}`;
  const options: Array<[string, string]> = [
    ['f', 'segment'],
    ['segment_time', String(r.segmentSec)],
    ['segment_format', 'mpegts'],
    ['reset_timestamps', '0'],
    ['segment_list', `${base}.csv`],
    ['segment_list_type', 'csv'],
    ['segment_list_size', String(r.listSize)],
    ['segment_wrap', String(r.wrap)],
    ['onfail', 'ignore'],
  ];
  // The segment muxer expands %d in the file name: a literal % in the folder is written %%.
  const pattern = `${base.replace(/%/g, '%%')}-%03d.ts`;
  const slave = `[${options.map(([k, v]) => `${k}=${teeEscape(v, ':]')}`).join(':')}]${pattern}`;
  return ['-map', '0:v:0', '-c:v', 'copy', '-an', '-sn', '-dn', '-f', 'tee', `${teeEscape(slave, '|')}|[f=null]-`];
}

/**
 * Escapes for av_get_token, which tee applies twice to option values (the slave list, then each option)
 * and once to the file name: backslash before `\`, `'`, whitespace and the given separators.
 */
export function teeEscape(s: string, separators: string): string {
  let out = '';
  for (const ch of s) out += ch === '\\' || ch === "'" || /\s/.test(ch) || separators.includes(ch) ? `\\${ch}` : ch;
  return out;
}

/**
 * select (sample before any per-pixel work) → showinfo (timestamps) → bilinear scale into the box, keeping
 * the aspect ratio (half the cost of bicubic) → pixel format → pad right and bottom with grey 114.
 * `format=` before `pad` makes swscale convert once and pad paint exact RGB, not a YUV approximation.
 */
export function buildVideoFilter(o: Pick<DecodeArgsOptions, 'intervalSec' | 'width' | 'height' | 'pixelFormat' | 'features'>): string {
  const { width: w, height: h } = o;
  return [`select='${selectExpression(o.intervalSec)}'`, o.features.showinfoChecksumOption ? 'showinfo=checksum=0' : 'showinfo', letterboxFilter({ width: w, height: h, pixelFormat: o.pixelFormat })].join(',');
}

/**
 * The letterbox every decode path ends with (camera ffmpeg, keyframe decoder pool): bilinear scale into the
 * W×H box keeping the aspect ratio, convert once, pad right and bottom with grey 114.
 */
export function letterboxFilter(o: Pick<DecodeArgsOptions, 'width' | 'height' | 'pixelFormat'>): string {
  const { width: w, height: h } = o;
  return [`scale=${w}:${h}:force_original_aspect_ratio=decrease:flags=bilinear`, `format=${o.pixelFormat}`, `pad=${w}:${h}:0:0:color=${PAD_COLOR}`].join(',');
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
