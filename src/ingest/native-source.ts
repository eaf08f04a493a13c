import type { SourceState, SourceStatus } from '../contracts/camera-status.js';
import type { Frame } from '../contracts/frame.js';
import { KeyframeDecoderPool, type DecodedKeyframe } from '../decode/decoder-pool.js';
import { isRaslPicture } from '../decode/annex-b.js';
import { resolveFfmpeg } from '../decode/ffmpeg-path.js';
import { declaredReorderDelay } from '../decode/sps.js';
import { silentLog, type Log } from '../log/log.js';
import { DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import type { CameraSource, CameraSourceConfig, CameraSourceOptions, FrameListener, StatusListener } from './source.js';
import { DueKeyframe, type HeldKeyframe } from './due-keyframe.js';
import { SourceSubscribers } from './source-subscribers.js';
import { ClipSpans } from './clip-spans.js';
import { GopBuffer, type ForwardRequest, type GopBufferOptions, type GopBufferStats } from './gop-buffer.js';
import type { AccessUnit } from './rtsp/session.js';
import { RtspSupervisor, type SessionLike } from './rtsp-supervisor.js';
import type { RtspSessionOptions } from './rtsp/session.js';

/** Test seam: a fake session instead of a socket. */
export interface NativeSourceHooks {
  createSession?: (options: RtspSessionOptions, log: Log) => SessionLike;
  /** Caps of the access units kept for decoding forward (defaults in gop-buffer.ts). */
  forward?: GopBufferOptions;
}

/** What a native camera decoded, and what decoding forward cost it. */
export interface NativeSourceStats extends GopBufferStats {
  /** Frames that were a keyframe decoded on its own. */
  keyframeFrames: number;
  /** Frames decoded forward from the last keyframe (the GOP is longer than the interval). */
  forwardFrames: number;
  /** Access units sent in forward requests, keyframes included (the decode work). */
  forwardAccessUnits: number;
}

/**
 * A camera received by the in-process RTSP client (transport: native): no process of its own. Every
 * keyframe replaces the one held (DueKeyframe); when the camera is due, the held keyframe goes to the
 * process's shared decoder pool and comes back as a letterboxed Frame stamped with the wall clock of its
 * arrival. States, reasons and the reconnect policy are those of the ffmpeg source (RtspSupervisor).
 *
 * When keyframes come further apart than the interval (a 10 s "smart" GOP, analysis every 2 s), the access
 * units since the last keyframe are kept (GopBuffer, bounded), and when the camera is due between keyframes
 * the keyframe and everything after it up to the newest frame go to the pool as one request, of which only
 * the last picture comes back; the status reason says so.
 *
 * Evidence clips (`packetRing`): every access unit also goes to an in-memory packet ring of the last
 * seconds (ClipSpans); a clip takes its pre-roll from there and collects its post-roll as it arrives, and
 * a reconnect or a new SPS starts a new segment that no clip splices into. No process and no files.
 *
 * RTP comes interleaved in the RTSP connection, or over UDP where the camera's rtspTransport asks for it
 * (read in the read pacer's batches too, see rtsp/paced-udp.ts). Not yet: rtsps://.
 */
export class NativeCameraSource implements CameraSource {
  readonly cameraId: string;
  readonly ended: Promise<void>;
  /** The clip pre-roll and the clips being collected (with `packetRing`). */
  readonly clipSpans: ClipSpans | undefined;
  private resolveEnded!: () => void;
  private readonly log: Log;
  private readonly clock: () => number;
  private readonly pool: KeyframeDecoderPool;
  private readonly ownsPool: boolean;
  private readonly supervisor: RtspSupervisor;
  private readonly due: DueKeyframe<AccessUnit>;
  private readonly gop: GopBuffer<AccessUnit>;
  /** The session's dropped access units when the last one arrived (a rise = a loss broke the GOP). */
  private droppedSeen = 0;
  private readonly counts = { keyframeFrames: 0, forwardFrames: 0, forwardAccessUnits: 0 };
  /** Why this connection's stream is not decoded forward (B-frames, open GOP); undefined while it may be. */
  private forwardOff: string | undefined;
  private checkedSps: Buffer | undefined;
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
  private longGopMode: 'forward' | 'keyframes' | undefined;
  private readonly subscribers: SourceSubscribers;

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
    this.gop = new GopBuffer(hooks.forward);
    this.watchdogMs = opts.watchdogMs ?? Math.max(20_000, 3 * this.intervalMs);
    this.subscribers = new SourceSubscribers(camera.id, this.log, true, opts.maxBuffered ?? 2);
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
        session: { connectTimeoutMs: socketTimeoutMs, requestTimeoutMs: socketTimeoutMs, dataTimeoutMs: socketTimeoutMs, transport: camera.rtspTransport ?? 'tcp' },
        createSession: hooks.createSession,
        readPacer: opts.readPacer,
      },
      {
        onConnecting: (attempt) => this.onConnecting(attempt),
        onAccessUnit: (au) => this.onAccessUnit(au),
        onDown: (d) => this.onDown(d),
      },
    );
    this.clipSpans = opts.packetRing ? new ClipSpans({ keepMs: opts.packetRing.seconds * 1000, maxBytes: opts.packetRing.maxBytes }) : undefined;
    this.current = { cameraId: camera.id, state: 'stopped', attempt: 0 };
  }

  get status(): SourceStatus {
    return { ...this.current };
  }

  get stats(): NativeSourceStats {
    return { ...this.counts, abandoned: { ...this.gop.stats.abandoned } };
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
      this.clipSpans?.close();
      if (this.ownsPool) await this.pool.close();
      this.finish();
    })();
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

  private onConnecting(attempt: number): void {
    this.clipSpans?.connectionEnded('the camera reconnected');
    this.connection++;
    this.due.reset();
    this.gop.reset();
    this.droppedSeen = 0;
    this.forwardOff = undefined;
    this.checkedSps = undefined;
    this.seen = { accessUnits: 0, keyframes: 0 };
    this.clearTimers();
    this.setStatus({ state: 'connecting', attempt });
    this.armFrameWatchdog();
  }

  private onAccessUnit(au: AccessUnit): void {
    if (this.stopping) return;
    this.seen.accessUnits++;
    const dropped = this.supervisor.droppedAccessUnits;
    const lost = dropped > this.droppedSeen;
    this.droppedSeen = dropped;
    const now = this.clock();
    this.clipSpans?.push(au, now, lost);
    const entry = { unit: au, bytes: au.data.length, streamMs: au.timestampMs, receivedAt: now };
    if (!au.keyframe) {
      if (this.forwardWanted && !(au.codec === 'h265' && isRaslPicture(au.data))) this.gop.follow(entry, lost);
      return;
    }
    this.seen.keyframes++;
    this.checkForwardable(au);
    this.gop.keyframe(entry);
    const taken = this.due.offer(au, au.timestampMs, now);
    this.noteLongGop();
    if (taken) this.decode(taken);
  }

  /** Keep access units for decoding forward: the GOP is longer than the interval, or not known yet. */
  private get forwardWanted(): boolean {
    return this.forwardOff === undefined && (this.due.gopMs === undefined || this.due.longGop);
  }

  /**
   * Decoding forward counts on one picture per access unit in decoding order (the decoder is told there is
   * no reorder delay), so an H.264 stream that declares B-frames is analyzed at the keyframes' pace instead.
   * (H.265 open GOPs: the RASL pictures after a CRA, which reference the GOP before and make no picture when
   * decoding starts at the CRA, are never kept; see isRaslPicture.) A stream that does not declare its B-frames is found out by its first forward
   * request coming back short (after the decoder's timeout); so is anything else that makes fewer pictures.
   */
  private checkForwardable(au: AccessUnit): void {
    if (this.forwardOff) return;
    const sps = au.parameterSets.sps.at(-1);
    if (sps && sps !== this.checkedSps) {
      this.checkedSps = sps;
      try {
        // ffmpeg's H.264 decoder, told there is no reorder delay, drops every picture that comes out of order
        // (measured: 41 of 102 made); its H.265 decoder outputs them all in decoding order.
        const reorder = au.codec === 'h264' ? declaredReorderDelay(au.codec, sps) : undefined;
        if (reorder !== undefined && reorder > 0) return this.stopForward(`the H.264 stream has B-frames (reorder delay ${reorder})`);
      } catch {
        // an SPS that cannot be read fails its keyframe decode with its own message
      }
    }
  }

  private stopForward(why: string): void {
    if (this.forwardOff) return;
    this.forwardOff = why;
    this.gop.keyframeOnly();
    this.log.info({ cameraId: this.cameraId, why }, `camera ${this.cameraId}: not decoded forward from keyframes: ${why}`);
    this.noteLongGop();
  }

  /**
   * The due timer: a frame after the last keyframe, decoded forward, when the GOP is long and that frame is
   * well past the keyframe (a keyframe held from a moment ago is fresh enough and costs one decode); else
   * the held keyframe, or (take() says no) the next keyframe on its arrival.
   */
  private onDue(): void {
    const now = this.clock();
    const request = this.forwardWanted ? this.gop.forward(this.due.lastTakenMs) : undefined;
    const worthIt = request !== undefined && request.due.streamMs - request.keyframe.streamMs > this.intervalMs / 4;
    if (request && worthIt && this.due.takeForward(request.due.streamMs, now)) return this.decodeForward(request);
    const taken = this.due.take(now);
    if (taken) return this.decode(taken);
    if (request && !worthIt && this.due.takeForward(request.due.streamMs, now)) this.decodeForward(request);
  }

  /** After a take: when the next one is due, the keyframe held by then (if newer) goes without waiting for another. */
  private armDueTimer(): void {
    if (this.dueTimer) clearTimeout(this.dueTimer);
    const at = this.due.nextDueAt;
    if (at === undefined) return;
    this.dueTimer = setTimeout(() => {
      this.dueTimer = undefined;
      this.onDue();
    }, Math.max(0, at - this.clock()));
  }

  private decode(held: HeldKeyframe<AccessUnit>): void {
    const au = held.keyframe;
    this.submit(() => this.pool.decode(au.codec, au.data), held, 'keyframe', 1);
  }

  /** The keyframe and every access unit after it up to the due one, as one request; only the last picture comes back. */
  private decodeForward(request: ForwardRequest<AccessUnit>): void {
    const { keyframe, following, due } = request;
    const data = following.map((f) => f.unit.data);
    this.submit(() => this.pool.decodeForward(keyframe.unit.codec, keyframe.unit.data, data), { receivedAt: due.receivedAt, streamMs: due.streamMs }, 'forward', 1 + data.length);
  }

  private submit(run: () => Promise<DecodedKeyframe>, held: { receivedAt: number; streamMs: number }, kind: 'keyframe' | 'forward', units: number): void {
    this.armDueTimer();
    // One decode per camera at a time: a decoder slower than the interval skips a turn instead of queueing.
    if (this.decoding) return;
    this.decoding = true;
    const connection = this.connection;
    run().then(
      (decoded) => {
        this.decoding = false;
        if (connection !== this.connection || this.stopping) return;
        if (kind === 'forward') {
          this.counts.forwardFrames++;
          this.counts.forwardAccessUnits += units;
          // Fewer pictures than access units: the picture is a real one of this camera, but maybe not the due one.
          if (!decoded.complete) this.stopForward('a forward decode made fewer pictures than access units (B-frames or undecodable frames)');
        } else this.counts.keyframeFrames++;
        this.emit(decoded, held);
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

  private emit(decoded: DecodedKeyframe, held: { receivedAt: number; streamMs: number }): void {
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
    this.subscribers.deliver(frame);
  }

  private noteLongGop(): void {
    if (!this.due.longGop) return;
    const gop = `GOP ${((this.due.gopMs ?? 0) / 1000).toFixed(1)} s > interval ${this.intervalMs / 1000} s`;
    const note = this.forwardOff ? `${gop}: analyzed at the keyframes' pace, not decoded forward: ${this.forwardOff}` : `${gop}: decoding forward from the last keyframe`;
    // The GOP estimate wobbles by milliseconds: a new note only when the mode changes.
    const mode = this.forwardOff ? 'keyframes' : 'forward';
    if (this.longGopMode === mode) return;
    this.longGopMode = mode;
    this.longGopNote = note;
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
    this.clipSpans?.connectionEnded(`the camera went down: ${d.reason}`);
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
    this.subscribers.end();
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
    this.subscribers.status(this.status);
  }
}
