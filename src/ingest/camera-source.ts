import type { ChildProcessByStdio } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import type { Readable } from 'node:stream';
import { buildDecodeArgs, letterboxContentSize, type DecodeArgsOptions, type PixelFormat } from '../decode/ffmpeg-args.js';
import { resolveFfmpeg, type FfmpegBinary } from '../decode/ffmpeg-path.js';
import { diagnoseExit, FfmpegStderr, type ExitDiagnosis } from '../decode/ffmpeg-stderr.js';
import { FrameSplitter } from '../decode/frame-splitter.js';
import { pruneRing, ringLayout, RingStderrFilter, type RingConfig, type RingLayout } from './ring-writer.js';
import { DEFAULT_BACKOFF, nextBackoffMs, type BackoffOptions } from './backoff.js';
import { cameraInput, type CameraInput } from './camera-input.js';
import type { Frame } from '../contracts/frame.js';
import type { SourceState, SourceStatus } from '../contracts/camera-status.js';
import { SourceSubscribers } from './source-subscribers.js';
import { NativeCameraSource } from './native-source.js';
import { TourCameraSource } from './tour-source.js';
import { resolveTransport } from '../config/transport.js';
import type { CameraSource, CameraSourceConfig, CameraSourceOptions, FrameListener, StatusListener } from './source.js';
import { silentLog, type Log } from '../log/log.js';
import { redactCredentials as redactUrl } from '../log/redact.js';
import { decodeInputScript } from '../decode/ffmpeg-args.js';
import { concatOptionsSupported, INPUT_SCRIPT_FD, spawnFfmpeg } from '../decode/secret-input.js';

export type { CameraSource, CameraSourceConfig, CameraSourceOptions, FrameListener, StatusListener } from './source.js';

/**
 * The transport resolveTransport picks (set in the config, else native for plain rtsp:// at keyframes): native is
 * the in-process RTSP client and the shared decoder pool, visited in turn when toured (cameras[].tour); ffmpeg is
 * one ffmpeg per camera.
 */
export function createCameraSource(camera: CameraSourceConfig, opts: CameraSourceOptions): CameraSource {
  const transport = resolveTransport(camera);
  const native = transport.kind === 'native';
  // A ring folder is written by the camera's own ffmpeg: a native camera would silently have none.
  if (native && opts.ring) {
    throw new RangeError(`camera ${camera.id}: a clip ring folder needs transport ffmpeg, and this camera is native (${transport.why}): set transport: 'ffmpeg', or keep the pre-roll in memory with packetRing`);
  }
  if (native && camera.tour) return new TourCameraSource(camera, opts);
  return native ? new NativeCameraSource(camera, opts) : new FfmpegCameraSource(camera, opts);
}

/** Per-process state: everything here dies with one ffmpeg child. */
interface Run {
  child: ChildProcessByStdio<null, Readable, Readable>;
  splitter: FrameSplitter;
  stderr: FfmpegStderr;
  /** With a ring: takes the ring's lines out of stderr before `stderr` reads it. */
  ringFilter?: RingStderrFilter;
  /** Frame bytes and showinfo lines arrive on different pipes; pair them by index. */
  frames: Map<number, Buffer>;
  pts: Map<number, { ptsMs: number; width?: number; height?: number }>;
  nextFrame: number;
  nextEmit: number;
  sourceWidth: number;
  sourceHeight: number;
  creationMs?: number;
  killReason?: string;
  spawnError?: string;
  paused: boolean;
  ended: boolean;
}

const STOP_GRACE_MS = 2_000;
/** Frames waiting for their showinfo line beyond this → showinfo is missing; stop waiting. */
const MAX_UNPAIRED = 8;

/** ffmpeg's own -analyzeduration when none is given. */
const FFMPEG_DEFAULT_PROBE_MS = 5_000;

class FfmpegCameraSource implements CameraSource {
  readonly cameraId: string;
  readonly ended: Promise<void>;
  private resolveEnded!: () => void;
  private readonly input: CameraInput;
  private readonly ffmpeg: FfmpegBinary;
  private readonly log: Log;
  private readonly clock: () => number;
  private readonly realtime: boolean;
  private readonly loop: boolean;
  private readonly backoff: BackoffOptions;
  private readonly watchdogMs: number;
  private readonly stableMs: number;
  private args: string[];
  private decodeOptions: DecodeArgsOptions;
  private readonly ring: (RingLayout & { dir: string; seconds: number }) | undefined;
  private ringRuns = 0;
  private readonly frameBytes: number;

  private current: SourceStatus;
  private run: Run | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private started = false;
  private stopping: Promise<void> | undefined;
  private finished = false;
  private attempt = 0;
  private liveSince: number | undefined;
  private readonly subscribers: SourceSubscribers;

  constructor(
    private readonly camera: CameraSourceConfig,
    private readonly opts: CameraSourceOptions,
  ) {
    this.cameraId = camera.id;
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
    this.input = cameraInput(camera.url, opts.baseDir ?? process.cwd());
    this.ffmpeg = opts.ffmpeg ?? resolveFfmpeg({ ffmpegPath: opts.ffmpegPath });
    this.log = opts.logger ?? silentLog;
    this.clock = opts.clock ?? Date.now;
    this.loop = this.input.kind === 'file' && camera.loop;
    this.realtime = this.input.kind === 'rtsp' || (opts.realtime ?? camera.loop);
    this.subscribers = new SourceSubscribers(camera.id, this.log, this.realtime, opts.maxBuffered ?? 2, () => this.updateFlow());
    this.backoff = { ...DEFAULT_BACKOFF, ...opts.backoff, random: opts.random ?? opts.backoff?.random };
    this.watchdogMs = opts.watchdogMs ?? Math.max(20_000, 3_000 * camera.intervalSec);
    this.stableMs = opts.stableMs ?? 30_000;
    if (!Number.isInteger(opts.width) || !Number.isInteger(opts.height) || opts.width <= 0 || opts.height <= 0) {
      throw new RangeError(`camera ${camera.id}: frame size must be positive integers, got ${opts.width}×${opts.height}`);
    }
    this.frameBytes = opts.width * opts.height * 3;
    this.decodeOptions = {
      input:
        this.input.kind === 'rtsp'
          ? { kind: 'rtsp', url: this.input.url, socketTimeoutMs: opts.socketTimeoutMs ?? 10_000, analyzeDurationMs: opts.analyzeDurationMs, rtspTransport: camera.rtspTransport }
          : { kind: 'file', path: this.input.path, loop: this.loop, realtime: this.realtime },
      decode: camera.decode,
      intervalSec: camera.intervalSec,
      width: opts.width,
      height: opts.height,
      pixelFormat: opts.pixelFormat,
      features: this.ffmpeg.features,
    };
    this.args = buildDecodeArgs(this.decodeOptions);
    if (opts.ring && !this.realtime) {
      this.log.warn({ cameraId: camera.id }, `camera ${camera.id}: clip ring ignored: a file read as fast as possible has no wall clock to cut clips by`);
    } else if (opts.ring) {
      this.ring = { ...ringLayout(opts.ring.seconds, opts.ring.segmentSec), dir: resolvePath(opts.ring.dir), seconds: opts.ring.seconds };
    }
    this.current = { cameraId: camera.id, state: 'stopped', attempt: 0 };
  }

  get status(): SourceStatus {
    return { ...this.current };
  }

  get pid(): number | undefined {
    return this.run?.child.pid;
  }

  start(): void {
    if (this.started || this.stopping) return;
    this.started = true;
    this.connect();
  }

  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  onFrame(listener: FrameListener): () => void {
    return this.subscribers.onFrame(listener);
  }

  onStatus(listener: StatusListener): () => void {
    return this.subscribers.onStatus(listener);
  }

  frames(): AsyncIterableIterator<Frame> {
    return this.subscribers.frames();
  }

  private async doStop(): Promise<void> {
    this.clearTimers();
    const run = this.run;
    if (run && !run.ended) {
      const closed = new Promise<void>((resolve) => run.child.once('close', () => resolve()));
      // Unblock a paused pipe so ffmpeg is not stuck in write() and the 'close' event can come.
      run.child.stdout.resume();
      run.child.kill('SIGTERM');
      const force = setTimeout(() => run.child.kill('SIGKILL'), STOP_GRACE_MS);
      await closed;
      clearTimeout(force);
    }
    this.finish('stopped');
  }

  private connect(): void {
    this.retryTimer = undefined;
    if (this.stopping || this.finished) return;
    this.setStatus({ state: 'connecting', attempt: this.attempt });
    if (this.input.kind === 'file' && !existsSync(this.input.path)) {
      this.retry({ permanent: true, reason: `file not found: ${this.input.path} (check the camera url and the config folder)` });
      return;
    }
    const args = this.ring ? this.argsWithRing(this.ring) : this.args;
    this.log.debug({ cameraId: this.cameraId, ffmpeg: this.ffmpeg.path, args: args.map(redactUrl) }, 'starting ffmpeg');
    // The camera URL goes to ffmpeg on a pipe: argv is world-readable.
    const script = decodeInputScript(this.decodeOptions.input, this.ffmpeg.features, this.input.kind === 'rtsp' && concatOptionsSupported(this.ffmpeg.path));
    const child = spawnFfmpeg(this.ffmpeg.path, args, script);
    const run: Run = {
      child,
      splitter: new FrameSplitter(this.frameBytes),
      stderr: new FfmpegStderr(),
      frames: new Map(),
      pts: new Map(),
      nextFrame: 0,
      nextEmit: 0,
      sourceWidth: 0,
      sourceHeight: 0,
      paused: false,
      ended: false,
      ringFilter: args === this.args ? undefined : new RingStderrFilter(),
    };
    this.run = run;
    child.stdout.on('data', (chunk: Buffer) => {
      for (const buf of run.splitter.push(chunk)) run.frames.set(run.nextFrame++, buf);
      this.pair(run);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      for (const ev of run.stderr.push(this.ringLines(run.ringFilter?.push(text)) ?? text)) {
        if (ev.kind === 'frame') run.pts.set(ev.n, ev);
        else if (ev.kind === 'input-video') {
          run.sourceWidth = ev.width;
          run.sourceHeight = ev.height;
        } else run.creationMs = ev.epochMs;
      }
      this.pair(run);
    });
    child.on('error', (err) => {
      run.spawnError = err.message;
      // A process that never started emits no 'close'.
      if (child.pid === undefined) this.onClose(run, null, null);
    });
    child.on('close', (code, signal) => this.onClose(run, code, signal));
    this.armWatchdog(run);
  }

  /**
   * The decode command plus the ring output, for one run: its own file names (a reconnect never rewrites
   * the files of the run before, whose segments may still hold a clip's pre-roll), after removing runs too
   * old to matter. A ring folder that cannot be prepared costs the clips, never the camera.
   */
  private argsWithRing(ring: RingLayout & { dir: string; seconds: number }): string[] {
    try {
      mkdirSync(ring.dir, { recursive: true });
      pruneRing(ring.dir, (ring.seconds + 2 * ring.segmentSec) * 1000);
      const prefix = `${Date.now().toString(36)}_${(this.ringRuns++).toString(36)}`;
      return buildDecodeArgs({ ...this.decodeOptions, ring: { dir: ring.dir, prefix, segmentSec: ring.segmentSec, wrap: ring.wrap, listSize: ring.listSize } });
    } catch (err) {
      this.log.warn({ cameraId: this.cameraId, err, dir: ring.dir }, `camera ${this.cameraId}: clip ring unavailable for this connection`);
      return this.args;
    }
  }

  /** Logs what the ring filter took out of stderr; returns the rest for the stderr parser. */
  private ringLines(split: { pass: string; ring: string[] } | undefined): string | undefined {
    if (!split) return undefined;
    for (const line of split.ring) {
      const failed = /fail|error|No space|denied/i.test(line);
      if (failed) this.log.warn({ cameraId: this.cameraId, ffmpeg: line }, `camera ${this.cameraId}: clip ring stopped until the next reconnect: ${line}`);
      else this.log.debug({ cameraId: this.cameraId, ffmpeg: line }, 'clip ring');
    }
    return split.pass;
  }

  /** Emits every frame whose bytes and timestamp have both arrived, in order. */
  private pair(run: Run): void {
    for (;;) {
      const data = run.frames.get(run.nextEmit);
      if (!data) return;
      let info = run.pts.get(run.nextEmit);
      if (!info) {
        if (run.frames.size <= MAX_UNPAIRED) return;
        info = { ptsMs: Number.NaN };
      }
      run.frames.delete(run.nextEmit);
      run.pts.delete(run.nextEmit);
      run.nextEmit++;
      this.emit(run, data, info);
    }
  }

  private emit(run: Run, data: Buffer, info: { ptsMs: number; width?: number; height?: number }): void {
    if (this.stopping || this.finished) return;
    const now = this.clock();
    // showinfo prints the decoded size of each frame, so a camera that changes resolution stays right.
    const sourceWidth = info.width ?? run.sourceWidth;
    const sourceHeight = info.height ?? run.sourceHeight;
    const content = letterboxContentSize(sourceWidth, sourceHeight, this.opts.width, this.opts.height);
    const ptsMs = Number.isFinite(info.ptsMs) ? info.ptsMs : now - (this.liveSince ?? now);
    const base = this.opts.startTimeMs ?? run.creationMs ?? 0;
    const frame: Frame = {
      cameraId: this.cameraId,
      timestamp: this.realtime ? now : base + ptsMs,
      ptsMs,
      data,
      pixelFormat: this.opts.pixelFormat,
      width: this.opts.width,
      height: this.opts.height,
      contentWidth: content.width,
      contentHeight: content.height,
      sourceWidth,
      sourceHeight,
    };
    this.armWatchdog(run);
    if (this.current.state !== 'live') {
      this.liveSince = now;
      this.setStatus({ state: 'live', attempt: this.attempt, lastFrameAt: now });
    } else {
      this.current.lastFrameAt = now;
    }
    this.subscribers.deliver(frame);
    this.updateFlow();
  }

  /** Back-pressure for non-realtime sources: pause ffmpeg's pipe while any consumer is busy or full. */
  private updateFlow(): void {
    const run = this.run;
    if (!run || run.ended || this.realtime) return;
    const blocked = this.subscribers.blocked;
    if (blocked && !run.paused) run.child.stdout.pause();
    else if (!blocked && run.paused) run.child.stdout.resume();
    run.paused = blocked;
  }

  private armWatchdog(run: Run): void {
    if (!this.realtime) return; // a file read as fast as possible waits for its consumer, legitimately
    if (this.watchdog) {
      this.watchdog.refresh();
      return;
    }
    this.watchdog = setTimeout(() => {
      this.watchdog = undefined;
      if (this.run !== run || run.ended) return;
      const hint =
        run.nextEmit === 0 && this.camera.decode === 'keyframe'
          ? '; if the stream is up, the camera may send no keyframes (intra refresh): try decode: interval'
          : '';
      run.killReason = `no frame for ${Math.round(this.watchdogMs / 1000)} s (watchdog): stream stalled or camera too slow to answer${hint}`;
      run.child.kill('SIGKILL');
    }, this.watchdogMs);
  }

  private onClose(run: Run, code: number | null, signal: NodeJS.Signals | null): void {
    if (run.ended) return;
    run.ended = true;
    const rest = run.ringFilter ? run.stderr.push(this.ringLines(run.ringFilter.end()) ?? '') : [];
    for (const ev of [...rest, ...run.stderr.end()]) if (ev.kind === 'frame') run.pts.set(ev.n, ev);
    this.pair(run);
    if (this.run === run) this.run = undefined;
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = undefined;
    if (this.stopping || this.finished) return;
    if (this.input.kind === 'file' && !this.loop && code === 0 && !run.killReason) {
      this.log.info({ cameraId: this.cameraId, frames: run.nextEmit }, 'end of file');
      this.finish('end of file');
      return;
    }
    if (this.probeTooShort(run)) {
      // Nothing is wrong with the camera: reconnect at once, probing for as long as ffmpeg needs from now on.
      // Doubling reaches a keyframe within one more GOP for the usual 1–4 s GOPs; past ffmpeg's own 5 s, use that.
      const input = this.decodeOptions.input as Extract<DecodeArgsOptions['input'], { kind: 'rtsp' }>;
      const probedMs = input.analyzeDurationMs ?? 0;
      const doubled = Math.max(1_000, probedMs * 2);
      const nextMs = doubled >= FFMPEG_DEFAULT_PROBE_MS ? undefined : doubled;
      this.decodeOptions = { ...this.decodeOptions, input: { ...input, analyzeDurationMs: nextMs } };
      this.args = buildDecodeArgs(this.decodeOptions);
      this.log.info(
        { cameraId: this.cameraId, analyzeDurationMs: probedMs, nextMs: nextMs ?? FFMPEG_DEFAULT_PROBE_MS },
        `camera ${this.cameraId}: no keyframe within the ${probedMs / 1000} s probe, so the clip ring could not start; ` +
          `reconnecting with a ${(nextMs ?? FFMPEG_DEFAULT_PROBE_MS) / 1000} s probe`,
      );
      this.connect();
      return;
    }
    let diagnosis: ExitDiagnosis;
    if (run.killReason) diagnosis = { permanent: false, reason: run.killReason };
    else if (run.spawnError) diagnosis = { permanent: true, reason: `cannot run ffmpeg (${this.ffmpeg.path}): ${run.spawnError}` };
    else {
      // ffmpeg names the input by what its command line said (`pipe:3`); the reason names the camera (redacted on output).
      const said = this.input.kind === 'rtsp' ? run.stderr.lastMessage?.replaceAll(`pipe:${INPUT_SCRIPT_FD}`, this.input.url) : run.stderr.lastMessage;
      diagnosis = diagnoseExit(said, this.input.kind);
      if (!run.stderr.lastMessage) {
        const how = signal ? `killed by ${signal}` : `exited with code ${code}`;
        diagnosis.reason = code === 0 && this.input.kind === 'rtsp' ? 'stream ended: the server closed the connection' : `ffmpeg ${how}`;
      }
    }
    this.retry(diagnosis);
  }

  /**
   * A short RTSP probe (fleet.rtspAnalyzeDurationSec) that joined a stream between keyframes leaves the video
   * size unknown; the decoder waits for the next keyframe, but the ring's stream copy must write its header at
   * once and fails ("dimensions not set"), taking the run down before any frame.
   */
  private probeTooShort(run: Run): boolean {
    const input = this.decodeOptions.input;
    if (input.kind !== 'rtsp' || input.analyzeDurationMs === undefined || !run.ringFilter || run.nextEmit > 0 || run.killReason) return false;
    return /Error initializing output stream 1:|Could not write header for output file #1|dimensions not set/.test(run.stderr.lastMessage ?? '');
  }

  private retry(d: ExitDiagnosis): void {
    const now = this.clock();
    if (this.liveSince !== undefined && now - this.liveSince >= this.stableMs) this.attempt = 0;
    this.liveSince = undefined;
    const delay = d.permanent ? this.backoff.maxMs : nextBackoffMs(this.attempt, this.backoff);
    this.attempt++;
    const state: SourceState = d.permanent ? 'failed' : 'backoff';
    const reason = redactUrl(d.reason);
    const changed = this.current.state !== state || this.current.reason !== reason;
    this.setStatus({ state, reason, attempt: this.attempt, retryAt: now + delay, lastFrameAt: this.current.lastFrameAt });
    const fields = { cameraId: this.cameraId, state, reason, attempt: this.attempt, retryInMs: delay };
    if (changed) this.log.warn(fields, `camera ${this.cameraId} ${state}: ${reason}`);
    else this.log.debug(fields, 'camera still failing');
    // A status listener may have stopped the source just now (a one-pass run gives up on a failed camera).
    if (this.stopping || this.finished) return;
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  private finish(reason: string): void {
    if (this.finished) return;
    this.finished = true;
    this.clearTimers();
    this.setStatus({ state: 'stopped', reason, attempt: this.attempt, lastFrameAt: this.current.lastFrameAt });
    this.subscribers.end();
    this.resolveEnded();
  }

  private clearTimers(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.watchdog) clearTimeout(this.watchdog);
    this.retryTimer = undefined;
    this.watchdog = undefined;
  }

  private setStatus(s: Omit<SourceStatus, 'cameraId'>): void {
    const previous = this.current.state;
    this.current = { cameraId: this.cameraId, ...s, lastFrameAt: s.lastFrameAt ?? this.current.lastFrameAt };
    if (s.state === 'live' && previous !== 'live') {
      this.log.info({ cameraId: this.cameraId, state: 'live', attempt: s.attempt }, `camera ${this.cameraId} live`);
    }
    this.subscribers.status(this.status);
  }
}
