import type { SourceState, SourceStatus } from '../contracts/camera-status.js';
import type { Frame } from '../contracts/frame.js';
import { KeyframeDecoderPool, type DecodedKeyframe } from '../decode/decoder-pool.js';
import { resolveFfmpeg } from '../decode/ffmpeg-path.js';
import { silentLog, type Log } from '../log/log.js';
import { DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import type { CameraSource, CameraSourceConfig, CameraSourceOptions, FrameListener, StatusListener } from './source.js';
import { DueKeyframe, type HeldKeyframe } from './due-keyframe.js';
import { FrameQueue } from './frame-queue.js';
import type { AccessUnit } from './rtsp/session.js';
import { RtspSupervisor, type SessionLike } from './rtsp-supervisor.js';
import type { RtspSessionOptions } from './rtsp/session.js';

/** Test seam: a fake session instead of a socket. */
export interface NativeSourceHooks {
  createSession?: (options: RtspSessionOptions, log: Log) => SessionLike;
}

/**
 * A camera received by the in-process RTSP client (transport: native): no process of its own. Every
 * keyframe replaces the one held (DueKeyframe); when the camera is due, the held keyframe goes to the
 * process's shared decoder pool and comes back as a letterboxed Frame stamped with the wall clock of its
 * arrival. States, reasons and the reconnect policy are those of the ffmpeg source (RtspSupervisor).
 *
 * Not yet: a clip ring (events of native cameras go out without clips), decoding forward from the last
 * keyframe to the due frame when the GOP is longer than the interval, UDP and rtsps://.
 */
export class NativeCameraSource implements CameraSource {
  readonly cameraId: string;
  readonly ended: Promise<void>;
  private resolveEnded!: () => void;
  private readonly log: Log;
  private readonly clock: () => number;
  private readonly pool: KeyframeDecoderPool;
  private readonly ownsPool: boolean;
  private readonly supervisor: RtspSupervisor;
  private readonly due: DueKeyframe<AccessUnit>;
  private readonly intervalMs: number;
  private readonly watchdogMs: number;
  private current: SourceStatus;
  private started = false;
  private stopping: Promise<void> | undefined;
  private finished = false;
  private dueTimer: NodeJS.Timeout | undefined;
  private frameWatchdog: NodeJS.Timeout | undefined;
  /** Bumped on every (re)connect: a decode that finishes after its connection ended is dropped. */
  private connection = 0;
  private decoding = false;
  private seen = { accessUnits: 0, keyframes: 0 };
  private lastDecodeError: string | undefined;
  private longGopNote: string | undefined;
  private readonly frameListeners = new Set<FrameListener>();
  private readonly statusListeners = new Set<StatusListener>();
  private readonly queues = new Set<FrameQueue>();
  private readonly maxBuffered: number;

  constructor(camera: CameraSourceConfig, opts: CameraSourceOptions, hooks: NativeSourceHooks = {}) {
    this.cameraId = camera.id;
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
    this.log = opts.logger ?? silentLog;
    this.clock = opts.clock ?? Date.now;
    if (!/^rtsp:\/\//i.test(camera.url)) throw new RangeError(`camera ${camera.id}: transport native needs an rtsp:// url`);
    if (opts.decoderPool) {
      const p = opts.decoderPool;
      if (p.width !== opts.width || p.height !== opts.height || p.pixelFormat !== opts.pixelFormat) {
        throw new RangeError(`camera ${camera.id}: the decoder pool makes ${p.width}×${p.height} ${p.pixelFormat}, the camera wants ${opts.width}×${opts.height} ${opts.pixelFormat}`);
      }
    }
    this.ownsPool = !opts.decoderPool;
    this.pool =
      opts.decoderPool ??
      new KeyframeDecoderPool({ ffmpegPath: (opts.ffmpeg ?? resolveFfmpeg({ ffmpegPath: opts.ffmpegPath })).path, width: opts.width, height: opts.height, pixelFormat: opts.pixelFormat, log: this.log });
    this.intervalMs = camera.intervalSec * 1000;
    this.due = new DueKeyframe(this.intervalMs);
    this.watchdogMs = opts.watchdogMs ?? Math.max(20_000, 3 * this.intervalMs);
    this.maxBuffered = Math.max(1, opts.maxBuffered ?? 2);
    const socketTimeoutMs = opts.socketTimeoutMs ?? 10_000;
    const backoff: BackoffOptions = { ...DEFAULT_BACKOFF, ...opts.backoff, random: opts.random ?? opts.backoff?.random };
    this.supervisor = new RtspSupervisor(
      {
        cameraId: camera.id,
        url: camera.url,
        log: this.log,
        clock: this.clock,
        backoff,
        stableMs: opts.stableMs ?? 30_000,
        watchdogMs: Math.max(socketTimeoutMs, 5_000),
        session: { connectTimeoutMs: socketTimeoutMs, requestTimeoutMs: socketTimeoutMs, dataTimeoutMs: socketTimeoutMs },
        createSession: hooks.createSession,
      },
      {
        onConnecting: (attempt) => this.onConnecting(attempt),
        onAccessUnit: (au) => this.onAccessUnit(au),
        onDown: (d) => this.onDown(d),
      },
    );
    if (opts.ring) {
      this.log.warn({ cameraId: camera.id }, `camera ${camera.id}: no clip ring with transport native yet; its events go out without clips (use transport: ffmpeg for clips)`);
    }
    this.current = { cameraId: camera.id, state: 'stopped', attempt: 0 };
  }

  get status(): SourceStatus {
    return { ...this.current };
  }

  /** No process of its own (the decoders are shared: see the pool's pids). */
  get pid(): number | undefined {
    return undefined;
  }

  start(): void {
    if (this.started || this.stopping) return;
    this.started = true;
    this.supervisor.start();
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.clearTimers();
      await this.supervisor.stop();
      if (this.ownsPool) await this.pool.close();
      this.finish();
    })();
    return this.stopping;
  }

  onFrame(listener: FrameListener): () => void {
    this.frameListeners.add(listener);
    return () => this.frameListeners.delete(listener);
  }

  onStatus(listener: StatusListener): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  frames(): AsyncIterableIterator<Frame> {
    const q = new FrameQueue(this.maxBuffered, true, () => undefined, (done) => this.queues.delete(done));
    if (this.finished) q.end();
    else this.queues.add(q);
    return q;
  }

  private onConnecting(attempt: number): void {
    this.connection++;
    this.due.reset();
    this.seen = { accessUnits: 0, keyframes: 0 };
    this.clearTimers();
    this.setStatus({ state: 'connecting', attempt });
    this.armFrameWatchdog();
  }

  private onAccessUnit(au: AccessUnit): void {
    if (this.stopping) return;
    this.seen.accessUnits++;
    if (!au.keyframe) return;
    this.seen.keyframes++;
    const taken = this.due.offer(au, au.timestampMs, this.clock());
    this.noteLongGop();
    if (taken) this.decode(taken);
  }

  /** After a take: when the next one is due, the keyframe held by then (if newer) goes without waiting for another. */
  private armDueTimer(): void {
    if (this.dueTimer) clearTimeout(this.dueTimer);
    const at = this.due.nextDueAt;
    if (at === undefined) return;
    this.dueTimer = setTimeout(() => {
      this.dueTimer = undefined;
      const taken = this.due.take(this.clock());
      if (taken) this.decode(taken);
    }, Math.max(0, at - this.clock()));
  }

  private decode(held: HeldKeyframe<AccessUnit>): void {
    this.armDueTimer();
    // One decode per camera at a time: a decoder slower than the interval skips a turn instead of queueing.
    if (this.decoding) return;
    this.decoding = true;
    const connection = this.connection;
    const au = held.keyframe;
    this.pool.decode(au.codec, au.data).then(
      (decoded) => {
        this.decoding = false;
        if (connection === this.connection && !this.stopping) this.emit(decoded, held);
      },
      (err: unknown) => {
        this.decoding = false;
        const message = err instanceof Error ? err.message : String(err);
        // Each new kind of failure once at warn; repeats at debug (the frame watchdog reconnects a camera that never decodes).
        if (message !== this.lastDecodeError) this.log.warn({ cameraId: this.cameraId, err: message }, `camera ${this.cameraId}: keyframe not decoded: ${message}`);
        else this.log.debug({ cameraId: this.cameraId, err: message }, 'keyframe not decoded');
        this.lastDecodeError = message;
      },
    );
  }

  private emit(decoded: DecodedKeyframe, held: HeldKeyframe<AccessUnit>): void {
    const now = this.clock();
    const frame: Frame = {
      cameraId: this.cameraId,
      timestamp: held.receivedAt,
      ptsMs: held.streamMs,
      data: decoded.data,
      pixelFormat: this.pool.pixelFormat,
      width: this.pool.width,
      height: this.pool.height,
      contentWidth: decoded.contentWidth,
      contentHeight: decoded.contentHeight,
      sourceWidth: decoded.sourceWidth,
      sourceHeight: decoded.sourceHeight,
    };
    this.lastDecodeError = undefined;
    this.frameWatchdog?.refresh();
    this.supervisor.markLive();
    if (this.current.state !== 'live') this.setStatus({ state: 'live', attempt: this.supervisor.attempt, lastFrameAt: now, reason: this.longGopNote });
    else this.current.lastFrameAt = now;
    for (const listener of this.frameListeners) {
      try {
        const result = listener(frame);
        // Live: never wait for a slow consumer (the mailbox keeps the freshest frame).
        if (result instanceof Promise) result.catch((err: unknown) => this.log.error({ cameraId: this.cameraId, err }, 'frame listener failed'));
      } catch (err) {
        this.log.error({ cameraId: this.cameraId, err }, 'frame listener threw');
      }
    }
    for (const q of this.queues) q.push(frame);
  }

  private noteLongGop(): void {
    if (this.longGopNote || !this.due.longGop) return;
    const gop = (this.due.gopMs ?? 0) / 1000;
    this.longGopNote = `keyframes every ${gop.toFixed(1)} s, longer than the ${this.intervalMs / 1000} s interval: analyzed at the keyframes' pace (transport native decodes keyframes only; decoding forward to the due frame is not implemented yet)`;
    this.log.warn({ cameraId: this.cameraId, gopMs: this.due.gopMs, intervalSec: this.intervalMs / 1000 }, `camera ${this.cameraId}: ${this.longGopNote}`);
    if (this.current.state === 'live') this.setStatus({ ...this.current, reason: this.longGopNote });
  }

  private armFrameWatchdog(): void {
    this.frameWatchdog = setTimeout(() => {
      const secs = Math.round(this.watchdogMs / 1000);
      const why =
        this.seen.accessUnits === 0
          ? 'no video from the camera, stream stalled or camera too slow to answer'
          : this.seen.keyframes === 0
            ? 'video arrives but no keyframe; the camera may use intra refresh (no IDR frames): use transport: ffmpeg with decode: interval'
            : `keyframes arrive but none was decoded${this.lastDecodeError ? ` (${this.lastDecodeError})` : ''}`;
      this.supervisor.restart(`no frame for ${secs} s (watchdog): ${why}`);
    }, this.watchdogMs);
  }

  private onDown(d: { state: Extract<SourceState, 'backoff' | 'failed'>; reason: string; attempt: number; retryAt: number }): void {
    this.clearTimers();
    const changed = this.current.state !== d.state || this.current.reason !== d.reason;
    this.setStatus({ state: d.state, reason: d.reason, attempt: d.attempt, retryAt: d.retryAt, lastFrameAt: this.current.lastFrameAt });
    const fields = { cameraId: this.cameraId, state: d.state, reason: d.reason, attempt: d.attempt, retryInMs: d.retryAt - this.clock() };
    if (changed) this.log.warn(fields, `camera ${this.cameraId} ${d.state}: ${d.reason}`);
    else this.log.debug(fields, 'camera still failing');
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.clearTimers();
    this.setStatus({ state: 'stopped', reason: 'stopped', attempt: this.supervisor.attempt, lastFrameAt: this.current.lastFrameAt });
    for (const q of this.queues) q.end();
    this.queues.clear();
    this.resolveEnded();
  }

  private clearTimers(): void {
    if (this.dueTimer) clearTimeout(this.dueTimer);
    if (this.frameWatchdog) clearTimeout(this.frameWatchdog);
    this.dueTimer = undefined;
    this.frameWatchdog = undefined;
  }

  private setStatus(s: Omit<SourceStatus, 'cameraId'>): void {
    const previous = this.current.state;
    this.current = { cameraId: this.cameraId, ...s, lastFrameAt: s.lastFrameAt ?? this.current.lastFrameAt };
    if (s.state === 'live' && previous !== 'live') this.log.info({ cameraId: this.cameraId, state: 'live', attempt: s.attempt, transport: 'native' }, `camera ${this.cameraId} live`);
    for (const listener of this.statusListeners) {
      try {
        listener(this.status);
      } catch (err) {
        this.log.error({ cameraId: this.cameraId, err }, 'status listener threw');
      }
    }
  }
}
