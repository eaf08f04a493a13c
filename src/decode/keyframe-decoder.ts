import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { silentLog, type Log } from '../log/log.js';
import { ACCESS_UNIT_DELIMITER, FFMPEG_RAW_FORMAT, type KeyframeCodec } from './annex-b.js';
import { letterboxFilter, type PixelFormat } from './ffmpeg-args.js';
import { FrameSplitter } from './frame-splitter.js';
import { childEnv } from './secret-input.js';

/*
 * Measured here (tmp/native/measure-decoder.ts; 704×576, keyframes from the GStreamer test server through the
 * in-process RTSP client, 416×416 bgr24 letterbox, the machine loaded by a training job):
 *
 *   one long-lived ffmpeg fed one keyframe at a time:  H.264 1.3 CPU-ms per keyframe, first byte to last 2.1 ms
 *                                                      median (p90 4.7); H.265 2.7 CPU-ms, 3.5 ms (p90 7.1);
 *                                                      1080p H.264 3.3 CPU-ms, H.265 8–10 CPU-ms
 *   one short ffmpeg per keyframe:                     H.264 70–83 CPU-ms and 74–90 ms; H.265 78–84 CPU-ms
 *
 * so a long-lived decoder is 30–60× cheaper: at one keyframe per 5 s, ~0.3 vs ~15 CPU-ms per camera-second.
 * What it takes to get each frame out promptly: `-probesize 32 -analyzeduration 0` (the default probe reads
 * 5 MB / 5 s first: nothing came out at all); no `-fflags nobuffer` (it drops the packets read while probing:
 * the first keyframe was lost); an access unit delimiter after each keyframe (without it every frame came one
 * keyframe late); and an SPS that declares no reorder delay (sps.ts). `-flags low_delay` changed nothing.
 */

export interface KeyframeDecoderOptions {
  ffmpegPath: string;
  codec: KeyframeCodec;
  /** Output: the detector's input size and channel order. */
  width: number;
  height: number;
  pixelFormat: PixelFormat;
  /** A keyframe not decoded in this long fails, and the process is replaced. Default 3 s. */
  timeoutMs?: number;
  log?: Log;
}

export class KeyframeDecodeError extends Error {
  override name = 'KeyframeDecodeError';
}

interface Request {
  data: Buffer;
  /** Frames this request makes (one per access unit); the last one is its answer. */
  expected: number;
  received: number;
  last: Buffer | undefined;
  timeoutMs: number;
  resolve: (out: DecodedUnits) => void;
  reject: (err: Error) => void;
}

/** A request's answer: its last picture, and whether every access unit made one. */
export interface DecodedUnits {
  frame: Buffer;
  /** False: fewer pictures than access units (reordered B-frames dropped, open-GOP leading pictures, a broken slice). */
  complete: boolean;
}

/** nal_unit_type 36 (EOS_NUT), layer 0, tid 1. */
const H265_END_OF_SEQUENCE = Buffer.from([0, 0, 0, 1, 0x48, 0x01]);

/** Extra time a forward request gets per access unit after the keyframe (a P-frame decodes in well under 1 ms). */
const FORWARD_MS_PER_ACCESS_UNIT = 10;

type DecoderChild = ChildProcessByStdio<Writable, Readable, Readable>;

interface Process {
  child: DecoderChild;
  splitter: FrameSplitter;
  stderrTail: string;
  exited: boolean;
}

export interface KeyframeDecoderStats {
  decoded: number;
  failed: number;
  /** ffmpeg processes started (the first, and each replacement after a failure). */
  starts: number;
  /** Frames that came with no request waiting (never handed to anyone). */
  strayFrames: number;
  /** Forward requests that made fewer frames than access units (answered with the last frame at the timeout). */
  shortRequests: number;
}

/**
 * One long-lived ffmpeg that turns Annex-B keyframes (with their parameter sets, SPS rewritten by the pool)
 * into letterboxed raw frames. One keyframe is in flight at a time, so every frame out belongs to the request
 * that is waiting: a keyframe that fails to decode produces nothing, which the timeout turns into an error
 * and a fresh process, never into the next camera's picture. Started on first use; a dead process is
 * replaced on the next request.
 */
export class KeyframeDecoder {
  private readonly queue: Request[] = [];
  private inFlight: Request | undefined;
  private timer: NodeJS.Timeout | undefined;
  private proc: Process | undefined;
  private closed = false;
  private readonly frameBytes: number;
  private readonly timeoutMs: number;
  private readonly log: Log;
  readonly stats: KeyframeDecoderStats = { decoded: 0, failed: 0, starts: 0, strayFrames: 0, shortRequests: 0 };

  constructor(private readonly opts: KeyframeDecoderOptions) {
    this.frameBytes = opts.width * opts.height * 3;
    this.timeoutMs = opts.timeoutMs ?? 3_000;
    this.log = opts.log ?? silentLog;
  }

  /** Requests waiting or in flight. */
  get pending(): number {
    return this.queue.length + (this.inFlight ? 1 : 0);
  }

  get pid(): number | undefined {
    return this.proc?.exited ? undefined : this.proc?.child.pid;
  }

  /**
   * `data`: one keyframe access unit, Annex-B, parameter sets first. Resolves with one W×H×3 frame.
   *
   * Decoding forward: an array of access units — the keyframe first, then the ones that follow it in
   * decoding order — goes in as one request (an access unit delimiter after each, so each comes out at
   * once) and resolves with the last picture; the ones before it are read and dropped. Every access unit
   * makes one frame when the stream declares no reorder delay (the pool rewrites the SPS); one that makes
   * fewer (B-frames the decoder reorders after all, a slice it cannot decode) ends at the timeout with the
   * last frame it did make, and the process is replaced so that nothing it still holds reaches the next request.
   */
  decode(data: Buffer | readonly Buffer[]): Promise<Buffer> {
    return this.decodeUnits(Buffer.isBuffer(data) ? [data] : data).then((r) => r.frame);
  }

  /** As decode(), saying whether the request made a picture for every access unit. */
  decodeUnits(units: readonly Buffer[]): Promise<DecodedUnits> {
    if (this.closed) return Promise.reject(new KeyframeDecodeError('decoder closed'));
    if (units.length === 0) return Promise.reject(new KeyframeDecodeError('no access unit to decode'));
    const aud = ACCESS_UNIT_DELIMITER[this.opts.codec];
    // H.265: an end of sequence after the last access unit makes the next request's keyframe start afresh —
    // a CRA is then decoded as the first picture (POC reset, its RASL pictures skipped), not as a picture
    // continuing this request's sequence (measured: a forward request from a CRA came out one picture short).
    const last = this.opts.codec === 'h265' ? [H265_END_OF_SEQUENCE, aud] : [aud];
    const joined = Buffer.concat(units.flatMap((u, i) => (i === units.length - 1 ? [u, ...last] : [u, aud])));
    const timeoutMs = this.timeoutMs + (units.length - 1) * FORWARD_MS_PER_ACCESS_UNIT;
    return new Promise((resolve, reject) => {
      this.queue.push({ data: joined, expected: units.length, received: 0, last: undefined, timeoutMs, resolve, reject });
      this.next();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const err = new KeyframeDecodeError('decoder closed');
    this.failInFlight(err);
    for (const r of this.queue.splice(0)) r.reject(err);
    const proc = this.proc;
    this.proc = undefined;
    if (proc && !proc.exited) {
      const gone = new Promise<void>((resolve) => proc.child.once('close', () => resolve()));
      proc.child.stdin.end();
      const force = setTimeout(() => proc.child.kill('SIGKILL'), 1_000);
      await gone;
      clearTimeout(force);
    }
  }

  private next(): void {
    if (this.inFlight || this.closed) return;
    const req = this.queue.shift();
    if (!req) return;
    const proc = this.proc && !this.proc.exited ? this.proc : this.startProcess();
    this.inFlight = req;
    this.timer = setTimeout(() => {
      if (req.last && this.inFlight === req) {
        // A forward request short of frames: the newest picture it made is still the best answer there is.
        this.stats.shortRequests++;
        this.log.warn({ codec: this.opts.codec, expected: req.expected, received: req.received }, 'forward decode made fewer frames than access units; the decoder restarts');
        clearTimeout(this.timer);
        this.inFlight = undefined;
        this.stats.decoded++;
        req.resolve({ frame: req.last, complete: false });
        this.replaceProcess();
        return;
      }
      this.fail(new KeyframeDecodeError(`no frame from the keyframe decoder in ${req.timeoutMs} ms${this.lastError(proc)}`));
      proc.child.kill('SIGKILL');
    }, req.timeoutMs);
    proc.child.stdin.write(req.data);
  }

  private startProcess(): Process {
    const { codec, width, height, pixelFormat } = this.opts;
    const args = [
      ...['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error', '-threads', '1'],
      // Start decoding on the first packet instead of probing seconds of stream (see the measurements above).
      ...['-probesize', '32', '-analyzeduration', '0', '-f', FFMPEG_RAW_FORMAT[codec], '-i', 'pipe:0'],
      ...['-map', '0:v:0', '-an', '-filter_threads', '1', '-vf', letterboxFilter({ width, height, pixelFormat })],
      ...['-fps_mode', 'passthrough', '-threads', '1', '-f', 'rawvideo', '-pix_fmt', pixelFormat, '-flush_packets', '1', 'pipe:1'],
    ];
    const child = spawn(this.opts.ffmpegPath, args, { stdio: ['pipe', 'pipe', 'pipe'], env: childEnv() }) as DecoderChild;
    const proc: Process = { child, splitter: new FrameSplitter(this.frameBytes), stderrTail: '', exited: false };
    this.proc = proc;
    this.stats.starts++;
    child.stdin.on('error', () => undefined); // EPIPE from a dead process; its exit is handled below
    child.stdout.on('data', (chunk: Buffer) => {
      for (const frame of proc.splitter.push(chunk)) this.onFrame(proc, frame);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => (proc.stderrTail = (proc.stderrTail + text).slice(-2_000)));
    const exit = (why: string): void => {
      if (proc.exited) return;
      proc.exited = true;
      // A process already replaced (after a timeout) takes nothing down with it.
      if (this.proc !== proc) return;
      this.proc = undefined;
      if (!this.closed && this.inFlight) this.fail(new KeyframeDecodeError(`keyframe decoder ${why}${this.lastError(proc)}`));
    };
    child.on('error', (err) => exit(`could not run ffmpeg (${this.opts.ffmpegPath}): ${err.message}`));
    child.on('close', (code, signal) => exit(signal ? `killed by ${signal}` : `exited with code ${code}`));
    return proc;
  }

  private onFrame(proc: Process, frame: Buffer): void {
    const req = this.inFlight;
    if (!req || proc !== this.proc) {
      this.stats.strayFrames++;
      return;
    }
    req.received++;
    req.last = frame;
    if (req.received < req.expected) return;
    clearTimeout(this.timer);
    this.inFlight = undefined;
    this.stats.decoded++;
    req.resolve({ frame, complete: true });
    this.next();
  }

  private fail(err: Error): void {
    if (!this.inFlight) return;
    this.stats.failed++;
    this.log.warn({ codec: this.opts.codec, err: err.message }, 'keyframe decode failed; the decoder restarts');
    this.failInFlight(err);
    this.replaceProcess();
  }

  /** Whatever this process still holds may belong to the request that just ended: the next one gets a fresh process. */
  private replaceProcess(): void {
    const proc = this.proc;
    this.proc = undefined;
    if (proc && !proc.exited) proc.child.kill('SIGKILL');
    this.next();
  }

  private failInFlight(err: Error): void {
    clearTimeout(this.timer);
    const req = this.inFlight;
    this.inFlight = undefined;
    req?.reject(err);
  }

  private lastError(proc: Process): string {
    const line = proc.stderrTail.trim().split('\n').filter(Boolean).pop();
    return line ? `: ${line}` : '';
  }
}
