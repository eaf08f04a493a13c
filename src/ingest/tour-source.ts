import { TOUR_DEFAULTS } from '../config/schema.js';
import type { SourceStatus } from '../contracts/camera-status.js';
import type { ClipSpanSource } from '../contracts/clip-span.js';
import type { Frame } from '../contracts/frame.js';
import { KeyframeDecoderPool } from '../decode/decoder-pool.js';
import { resolveFfmpeg } from '../decode/ffmpeg-path.js';
import { silentLog, type Log } from '../log/log.js';
import { decodedFrame } from './decoded-frame.js';
import { NativeCameraSource } from './native-source.js';
import type { CameraSource, CameraSourceConfig, CameraSourceOptions, FrameListener, StatusListener } from './source.js';
import { SourceSubscribers } from './source-subscribers.js';
import { TourRunner, type TourFrame } from './tour-runner.js';

/**
 * A toured camera (cameras[].tour) as a CameraSource, so the pipeline and fleet leases treat it like any
 * other: start() puts it on the process's tour (TourRunner), each successful visit delivers one Frame, and
 * its status is live while visits succeed (backoff or failed with the reason when one fails), with the tour's
 * bookkeeping in `status.tour`. setHeld(true) — the pipeline saw a candidate or an open event — takes it off
 * the tour and holds it open as a normal native camera (its frames every intervalSec) until setHeld(false).
 */
export class TourCameraSource implements CameraSource {
  readonly cameraId: string;
  readonly ended: Promise<void>;
  /**
   * Clips come from the held session's packet ring: a toured camera has video only while it is held open, which
   * starts with the visit that saw the candidate, so an event's pre-roll reaches back to the candidate stage.
   */
  readonly clipSpans: ClipSpanSource | undefined;
  private resolveEnded!: () => void;
  private readonly log: Log;
  private readonly clock: () => number;
  private readonly runner: TourRunner;
  private readonly ownsRunner: boolean;
  /** A runner of its own made its own pool too (none was given). */
  private readonly ownsPool: boolean;
  private readonly subscribers: SourceSubscribers;
  private current: SourceStatus;
  private started = false;
  private stopping: Promise<void> | undefined;
  /** The held-open session while a candidate or an open event is on the camera. */
  private heldSource: NativeCameraSource | undefined;
  /** Setting held on and off in order: a release waits for the held session to close. */
  private holdChain: Promise<void> = Promise.resolve();

  constructor(
    private readonly camera: CameraSourceConfig,
    private readonly opts: CameraSourceOptions,
  ) {
    if (!camera.tour) throw new RangeError(`camera ${camera.id}: not a toured camera (no tour settings)`);
    if (!/^rtsp:\/\//i.test(camera.url)) throw new RangeError(`camera ${camera.id}: tour mode needs an rtsp:// url`);
    this.cameraId = camera.id;
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
    this.log = opts.logger ?? silentLog;
    this.clock = opts.clock ?? Date.now;
    this.clipSpans = opts.packetRing
      ? { span: (fromMs, toMs, hurry) => this.heldSource?.clipSpans?.span(fromMs, toMs, hurry) ?? Promise.resolve(undefined) }
      : undefined;
    this.ownsRunner = !opts.tour;
    this.ownsPool = !opts.tour && !opts.decoderPool;
    this.runner =
      opts.tour ??
      new TourRunner({
        pool: opts.decoderPool ?? new KeyframeDecoderPool({ ffmpegPath: (opts.ffmpeg ?? resolveFfmpeg({ ffmpegPath: opts.ffmpegPath })).path, width: opts.width, height: opts.height, pixelFormat: opts.pixelFormat, log: this.log }),
        maxVisits: 1,
        visitTimeoutMs: opts.socketTimeoutMs ?? TOUR_DEFAULTS.visitTimeoutSec * 1000,
        missTolerance: TOUR_DEFAULTS.missTolerance,
        log: this.log,
        clock: this.clock,
        backoff: opts.backoff,
        random: opts.random,
      });
    const p = this.runner.pool;
    if (p.width !== opts.width || p.height !== opts.height || p.pixelFormat !== opts.pixelFormat) {
      throw new RangeError(`camera ${camera.id}: the tour's decoder pool makes ${p.width}×${p.height} ${p.pixelFormat}, the camera wants ${opts.width}×${opts.height} ${opts.pixelFormat}`);
    }
    this.subscribers = new SourceSubscribers(camera.id, this.log, true, opts.maxBuffered ?? 2);
    this.current = { cameraId: camera.id, state: 'stopped', attempt: 0 };
  }

  get status(): SourceStatus {
    const info = this.runner.info(this.cameraId);
    const tour = info && { ...info, held: this.heldSource !== undefined };
    return { ...this.current, ...(tour ? { tour } : {}) };
  }

  get pid(): number | undefined {
    return undefined;
  }

  /** Held open now (a candidate or open event on the camera). */
  get held(): boolean {
    return this.heldSource !== undefined;
  }

  start(): void {
    if (this.started || this.stopping) return;
    this.started = true;
    this.setStatus({ state: 'connecting', attempt: 0, reason: 'waiting for its first tour visit' });
    this.runner.add(
      { id: this.cameraId, url: this.camera.url, tour: this.camera.tour!, rtspTransport: this.camera.rtspTransport },
      { frame: (f) => this.onVisitFrame(f), down: (d) => this.onVisitDown(d) },
    );
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.runner.remove(this.cameraId);
      await this.holdChain;
      await this.heldSource?.stop();
      this.heldSource = undefined;
      if (this.ownsRunner) await this.runner.close();
      if (this.ownsPool) await this.runner.pool.close();
      this.setStatus({ state: 'stopped', reason: 'stopped', attempt: this.current.attempt });
      this.subscribers.end();
      this.resolveEnded();
    })();
    return this.stopping;
  }

  /**
   * Holds the camera open (true) or returns it to the tour (false). Called by the pipeline after every
   * analyzed frame, so repeated calls with the same value do nothing.
   */
  setHeld(held: boolean): void {
    if (!this.started || this.stopping) return;
    this.holdChain = this.holdChain
      .then(() => (held ? this.hold() : this.release()))
      .catch((err: unknown) => this.log.error({ cameraId: this.cameraId, err }, `camera ${this.cameraId}: could not ${held ? 'hold the camera open' : 'return the camera to the tour'}`));
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

  private hold(): void {
    if (this.heldSource || this.stopping) return;
    this.runner.hold(this.cameraId);
    const source = new NativeCameraSource({ ...this.camera, transport: 'native' }, { ...this.opts, decoderPool: this.runner.pool });
    this.heldSource = source;
    source.onFrame((frame) => this.subscribers.deliver(frame));
    // The held session's states are the camera's (a live camera stays live while its held session connects).
    source.onStatus((s) => {
      if (s.state === 'connecting' && this.current.state === 'live') return;
      if (this.heldSource === source && s.state !== 'stopped') this.setStatus({ state: s.state, reason: s.reason, attempt: s.attempt, retryAt: s.retryAt, lastFrameAt: s.lastFrameAt });
    });
    this.log.info({ cameraId: this.cameraId }, `camera ${this.cameraId}: held open (candidate or open event); off the tour until it ends`);
    this.setStatus({ ...this.current });
    source.start();
  }

  private async release(): Promise<void> {
    const source = this.heldSource;
    if (!source) return;
    this.heldSource = undefined;
    await source.stop();
    if (this.stopping) return;
    this.runner.release(this.cameraId);
    this.log.info({ cameraId: this.cameraId }, `camera ${this.cameraId}: released back to the tour`);
    this.setStatus({ ...this.current });
  }

  private onVisitFrame(f: TourFrame): void {
    if (this.stopping || this.heldSource) return;
    const frame = decodedFrame(this.cameraId, this.runner.pool, f.decoded, f);
    const now = this.clock();
    if (this.current.state !== 'live') this.log.info({ cameraId: this.cameraId, state: 'live', transport: 'native', tour: true }, `camera ${this.cameraId} live (toured)`);
    // A status per visit: what the Cameras page and the fleet's camera state show (last visit, next due, misses).
    this.setStatus({ state: 'live', attempt: 0, lastFrameAt: now });
    this.subscribers.deliver(frame);
  }

  private onVisitDown(d: { permanent: boolean; reason: string; attempt: number; retryAt: number }): void {
    if (this.stopping || this.heldSource) return;
    const state = d.permanent ? 'failed' : 'backoff';
    const changed = this.current.state !== state || this.current.reason !== d.reason;
    this.setStatus({ state, reason: d.reason, attempt: d.attempt, retryAt: d.retryAt });
    const fields = { cameraId: this.cameraId, state, reason: d.reason, attempt: d.attempt, retryInMs: d.retryAt - this.clock(), tour: true };
    if (changed) this.log.warn(fields, `camera ${this.cameraId} ${state}: ${d.reason}`);
    else this.log.debug(fields, 'toured camera still failing');
  }

  private setStatus(s: Omit<SourceStatus, 'cameraId'>): void {
    this.current = { cameraId: this.cameraId, ...s, lastFrameAt: s.lastFrameAt ?? this.current.lastFrameAt };
    this.subscribers.status(this.status);
  }
}
