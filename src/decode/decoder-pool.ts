import { silentLog, type Log } from '../log/log.js';
import { joinNalUnits, nalType, splitNalUnits, SPS_TYPE, type KeyframeCodec } from './annex-b.js';
import { letterboxContentSize, type PixelFormat } from './ffmpeg-args.js';
import { KeyframeDecodeError, KeyframeDecoder, type KeyframeDecoderStats } from './keyframe-decoder.js';
import { readSps, SpsError, withoutReorderDelay } from './sps.js';

/** See decodersPerSize: at 192 cameras here one decoder fell behind and two kept up. */
export const DEFAULT_DECODERS_PER_SIZE = 2;
/** Another decoder starts when the least busy one has this many keyframes (the one in flight and two waiting). */
const GROW_AT_PENDING = 3;

export interface DecoderPoolOptions {
  ffmpegPath: string;
  /** Output: the detector's input size and channel order. */
  width: number;
  height: number;
  pixelFormat: PixelFormat;
  /**
   * At most this many ffmpeg processes per codec and picture size. One decodes a 704×576 keyframe in ≈ 2
   * CPU-ms, but it takes one keyframe at a time and waits for its picture to come back through the event
   * loop, which a worker busy with inference holds: at 192 cameras here (38 keyframes a second) one decoder
   * fell behind (4.4 % interval misses, "keyframe decoder overloaded"), two kept up. A further decoder starts
   * only when keyframes queue (GROW_AT_PENDING). Default DEFAULT_DECODERS_PER_SIZE.
   */
  decodersPerSize?: number;
  /** Per keyframe. Default 3 s. */
  timeoutMs?: number;
  /** Keyframes waiting per decoder beyond this are refused at once (an overloaded pool must not queue forever). Default 64. */
  maxQueuePerDecoder?: number;
  /** Decoders of a size nobody sent for this long are stopped (a camera that changed resolution). Default 60 s. */
  idleMs?: number;
  log?: Log;
}

export interface DecodedKeyframe {
  /** Packed W×H×3 in the pool's pixel format, the picture in the top-left, grey 114 padding. */
  data: Buffer;
  sourceWidth: number;
  sourceHeight: number;
  contentWidth: number;
  contentHeight: number;
  /**
   * Decoding forward: false when the request made fewer pictures than access units (the stream reorders
   * frames, or an open GOP's leading pictures could not be decoded): `data` is then the last picture it made,
   * not necessarily the one asked for, after a timeout. Always true for a keyframe alone.
   */
  complete: boolean;
}

interface SizeGroup {
  decoders: KeyframeDecoder[];
  lastUsed: number;
}

/**
 * The keyframe decoders of one process, shared by its cameras: keyframes are sorted by codec and picture
 * size (read from the SPS), each size has its own small set of long-lived ffmpeg processes, and a camera
 * that changes resolution simply lands in another set (the old one stops when idle). See keyframe-decoder.ts
 * for why long-lived processes, and sps.ts for why the SPS is rewritten.
 */
export class KeyframeDecoderPool {
  private readonly groups = new Map<string, SizeGroup>();
  private readonly log: Log;
  private readonly idleMs: number;
  private readonly reaper: NodeJS.Timeout;
  private closed = false;
  private retired: KeyframeDecoderStats = { decoded: 0, failed: 0, starts: 0, strayFrames: 0, shortRequests: 0 };

  constructor(private readonly opts: DecoderPoolOptions) {
    if (!Number.isInteger(opts.width) || !Number.isInteger(opts.height) || opts.width <= 0 || opts.height <= 0) {
      throw new RangeError(`decoder pool: frame size must be positive integers, got ${opts.width}×${opts.height}`);
    }
    this.log = opts.log ?? silentLog;
    this.idleMs = opts.idleMs ?? 60_000;
    this.reaper = setInterval(() => this.stopIdle(), Math.min(this.idleMs, 10_000));
    this.reaper.unref();
  }

  get width(): number {
    return this.opts.width;
  }

  get height(): number {
    return this.opts.height;
  }

  get pixelFormat(): PixelFormat {
    return this.opts.pixelFormat;
  }

  /** pids of the running decoders (CPU and memory measurement). */
  get pids(): number[] {
    return [...this.groups.values()].flatMap((g) => g.decoders.map((d) => d.pid).filter((p): p is number => p !== undefined));
  }

  get stats(): KeyframeDecoderStats & { decoders: number } {
    const all = [...this.groups.values()].flatMap((g) => g.decoders.map((d) => d.stats));
    const sum = (k: keyof KeyframeDecoderStats): number => all.reduce((s, x) => s + x[k], this.retired[k]);
    return { decoded: sum('decoded'), failed: sum('failed'), starts: sum('starts'), strayFrames: sum('strayFrames'), shortRequests: sum('shortRequests'), decoders: all.length };
  }

  /**
   * Decodes one keyframe access unit (Annex-B, carrying its SPS, as the RTSP client emits keyframes).
   * Rejects with KeyframeDecodeError when it has no readable SPS, the pool is overloaded or closed, or the
   * decoder gives no frame in time.
   */
  async decode(codec: KeyframeCodec, accessUnit: Buffer): Promise<DecodedKeyframe> {
    return this.decodeForward(codec, accessUnit, []);
  }

  /**
   * Decodes forward from a keyframe: the keyframe (as for decode()) and the access units that follow it in
   * decoding order, up to the wanted one, go to one decoder as one request; resolves with the last picture
   * (the wanted one). For cameras whose keyframes come further apart than their analysis interval.
   */
  async decodeForward(codec: KeyframeCodec, keyframe: Buffer, following: readonly Buffer[]): Promise<DecodedKeyframe> {
    if (this.closed) throw new KeyframeDecodeError('decoder pool closed');
    const { data, width: sourceWidth, height: sourceHeight } = prepareKeyframe(codec, keyframe);
    const decoder = this.decoderFor(codec, sourceWidth, sourceHeight);
    if (decoder.pending >= (this.opts.maxQueuePerDecoder ?? 64)) {
      throw new KeyframeDecodeError(`keyframe decoder overloaded (${decoder.pending} keyframes waiting for ${codec} ${sourceWidth}×${sourceHeight})`);
    }
    const { frame, complete } = await decoder.decodeUnits([data, ...following]);
    const content = letterboxContentSize(sourceWidth, sourceHeight, this.opts.width, this.opts.height);
    return { data: frame, sourceWidth, sourceHeight, contentWidth: content.width, contentHeight: content.height, complete };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.reaper);
    const all = [...this.groups.values()].flatMap((g) => g.decoders);
    this.groups.clear();
    await Promise.all(all.map((d) => d.close()));
  }

  private decoderFor(codec: KeyframeCodec, width: number, height: number): KeyframeDecoder {
    const key = `${codec} ${width}×${height}`;
    let group = this.groups.get(key);
    if (!group) {
      group = { decoders: [], lastUsed: 0 };
      this.groups.set(key, group);
      this.log.info({ codec, width, height }, `keyframe decoders for ${key} started`);
    }
    group.lastUsed = Date.now();
    // The least busy decoder (the first idle one when any is idle).
    const least = group.decoders.reduce<KeyframeDecoder | undefined>((a, b) => (a === undefined || b.pending < a.pending ? b : a), undefined);
    if (!least || (least.pending >= GROW_AT_PENDING && group.decoders.length < Math.max(1, this.opts.decodersPerSize ?? DEFAULT_DECODERS_PER_SIZE))) {
      const d = new KeyframeDecoder({ ffmpegPath: this.opts.ffmpegPath, codec, width: this.opts.width, height: this.opts.height, pixelFormat: this.opts.pixelFormat, timeoutMs: this.opts.timeoutMs, log: this.log });
      group.decoders.push(d);
      if (least) this.log.info({ key, decoders: group.decoders.length }, `keyframes queue for ${key}: decoder ${group.decoders.length} started`);
      return d;
    }
    return least;
  }

  private stopIdle(): void {
    const now = Date.now();
    for (const [key, group] of this.groups) {
      if (now - group.lastUsed < this.idleMs || group.decoders.some((d) => d.pending > 0)) continue;
      this.groups.delete(key);
      for (const d of group.decoders) {
        for (const k of Object.keys(this.retired) as Array<keyof KeyframeDecoderStats>) this.retired[k] += d.stats[k];
        void d.close();
      }
      this.log.info({ key }, `keyframe decoders for ${key} stopped (unused for ${Math.round(this.idleMs / 1000)} s)`);
    }
  }
}

/**
 * The keyframe as the decoder gets it: its picture size from the (last) SPS, and every SPS rewritten to
 * declare no reorder delay. Throws KeyframeDecodeError when there is no SPS or it cannot be read.
 */
export function prepareKeyframe(codec: KeyframeCodec, accessUnit: Buffer): { data: Buffer; width: number; height: number } {
  const nals = splitNalUnits(accessUnit);
  const isSps = (n: Buffer): boolean => nalType(codec, n) === SPS_TYPE[codec];
  const last = nals.filter(isSps).pop();
  if (!last) throw new KeyframeDecodeError(`the ${codec} keyframe carries no SPS`);
  try {
    const { width, height } = readSps(codec, last);
    return { data: joinNalUnits(nals.map((n) => (isSps(n) ? withoutReorderDelay(codec, n) : n))), width, height };
  } catch (err) {
    if (err instanceof SpsError) throw new KeyframeDecodeError(`the ${codec} keyframe's SPS cannot be read: ${err.message}`);
    throw err;
  }
}
