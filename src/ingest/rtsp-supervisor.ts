import type { SourceState } from '../contracts/camera-status.js';
import { silentLog, type Log } from '../log/log.js';
import { redactCredentials } from '../log/redact.js';
import { nextBackoffMs, type BackoffOptions } from './backoff.js';
import type { RtspError } from './rtsp/errors.js';
import type { ReadPacer } from './rtsp/read-pacer.js';
import { RtspSession, type AccessUnit, type RtspSessionOptions } from './rtsp/session.js';

/** What the supervisor needs of a session (the real RtspSession, or a fake in tests). */
export interface SessionLike {
  start(): void;
  close(): Promise<void>;
  on(event: 'accessUnit', listener: (au: AccessUnit) => void): unknown;
  on(event: 'error', listener: (err: RtspError) => void): unknown;
  on(event: 'state', listener: (state: string) => void): unknown;
  /** Access units the depacketizer dropped (a lost packet, oversize): what breaks decoding forward. */
  readonly stats?: { droppedAccessUnits: number; oversizeAccessUnits: number };
  /** The same sum as a number, read on every access unit without building `stats`. */
  readonly brokenAccessUnits?: number;
  /** Bytes received so far: the watchdog tells a silent camera from one whose data makes no picture. */
  readonly bytesReceived?: number;
}

/** More than keep-alive answers and RTCP bring in one watchdog period. */
const UNREADABLE_BYTES = 16 * 1024;

export interface RtspSupervisorOptions {
  cameraId: string;
  url: string;
  log?: Log;
  clock?: () => number;
  backoff: BackoffOptions;
  /** Connected at least this long before a failure → the backoff starts again from the base delay. */
  stableMs: number;
  /** No access unit for this long (connecting or playing) → reconnect. */
  watchdogMs: number;
  session?: Partial<Omit<RtspSessionOptions, 'url'>>;
  /** Batches the reads of every camera of the process (see rtsp/read-pacer.ts); default one per session. */
  readPacer?: ReadPacer;
  createSession?: (options: RtspSessionOptions, log: Log) => SessionLike;
}

export interface SupervisorEvents {
  /** A new connection starts: per-connection state (stream clocks, GOP) starts over. */
  onConnecting(attempt: number): void;
  onAccessUnit(au: AccessUnit): void;
  /** The connection ended and a retry is scheduled at `retryAt`. */
  onDown(down: { state: Extract<SourceState, 'backoff' | 'failed'>; reason: string; attempt: number; retryAt: number }): void;
}

/** How a session's end becomes a camera state: permanent causes are retried at the maximum backoff. */
export interface Diagnosis {
  permanent: boolean;
  reason: string;
}

/**
 * Keeps one camera's RTSP session up: connect, and after any end — an error, the server closing, a
 * watchdog — reconnect with capped, jittered exponential backoff, the same policy and reason wording as the
 * ffmpeg camera source (a 401 is 'failed' and retried at the maximum delay). One session at a time.
 */
export class RtspSupervisor {
  private readonly log: Log;
  private readonly clock: () => number;
  private session: SessionLike | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  /** Ends the current session with a reason (watchdogs); the retry follows as for any end. */
  private killCurrent: ((reason: string) => void) | undefined;
  private attemptCount = 0;
  private connectedSince: number | undefined;
  private stopped = false;

  constructor(
    private readonly opts: RtspSupervisorOptions,
    private readonly events: SupervisorEvents,
  ) {
    this.log = opts.log ?? silentLog;
    this.clock = opts.clock ?? Date.now;
  }

  get attempt(): number {
    return this.attemptCount;
  }

  start(): void {
    if (this.stopped || this.session || this.retryTimer) return;
    this.connect();
  }

  /** Closes the session (TEARDOWN) and cancels retries. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.clearTimers();
    const s = this.session;
    this.session = undefined;
    await s?.close();
  }

  /** Drops the current connection and reconnects after the backoff, reporting `reason` (a watchdog's). */
  restart(reason: string): void {
    this.killCurrent?.(reason);
  }

  /** Access units the current session dropped so far (lost packets, oversize); 0 between sessions. */
  get droppedAccessUnits(): number {
    const broken = this.session?.brokenAccessUnits;
    if (broken !== undefined) return broken;
    const st = this.session?.stats;
    return st ? st.droppedAccessUnits + st.oversizeAccessUnits : 0;
  }

  /** Frames are coming: counts towards "stable" (the backoff resets after stableMs of this). */
  markLive(): void {
    this.connectedSince ??= this.clock();
  }

  private connect(): void {
    this.retryTimer = undefined;
    if (this.stopped) return;
    this.events.onConnecting(this.attemptCount);
    const options: RtspSessionOptions = { ...this.opts.session, url: this.opts.url };
    const create = this.opts.createSession ?? ((o: RtspSessionOptions, log: Log): SessionLike => new RtspSession(o, log, { pacer: this.opts.readPacer }));
    let session: SessionLike;
    try {
      session = create(options, this.log);
    } catch (err) {
      // A URL the client cannot take (validated config should not get here): permanent.
      this.retry({ permanent: true, reason: `cannot open the camera URL: ${err instanceof Error ? err.message : String(err)}` });
      return;
    }
    this.session = session;
    let lastError: RtspError | undefined;
    let killReason: string | undefined;
    const kill = (reason: string): void => {
      if (this.session !== session) return;
      killReason = reason;
      void session.close();
    };
    this.killCurrent = kill;
    session.on('error', (err) => (lastError = err));
    let bytesAtFrame = 0;
    session.on('accessUnit', (au) => {
      if (this.session !== session) return;
      this.watchdog?.refresh();
      bytesAtFrame = session.bytesReceived ?? 0;
      this.events.onAccessUnit(au);
    });
    session.on('state', (state) => {
      if (state !== 'closed' || this.session !== session) return;
      this.session = undefined;
      this.killCurrent = undefined;
      this.clearTimers();
      if (this.stopped) return;
      this.retry(killReason ? { permanent: false, reason: killReason } : diagnoseSessionEnd(lastError, this.opts.url));
    });
    this.watchdog = setTimeout(() => {
      const sec = Math.round(this.opts.watchdogMs / 1000);
      const bytes = (session.bytesReceived ?? 0) - bytesAtFrame;
      // Data that keeps coming without one whole picture is a corrupt stream, not a silent camera.
      if (bytes > UNREADABLE_BYTES) return kill(`stream unreadable: data arrives but no whole picture in ${sec} s (${bytes} bytes; corrupt stream or heavy packet loss) (watchdog) — ${redactCredentials(this.opts.url)}`);
      kill(`no frame for ${sec} s (watchdog): no video from the camera, stream stalled or camera too slow to answer`);
    }, this.opts.watchdogMs);
    session.start();
  }

  private retry(d: Diagnosis): void {
    const now = this.clock();
    if (this.connectedSince !== undefined && now - this.connectedSince >= this.opts.stableMs) this.attemptCount = 0;
    this.connectedSince = undefined;
    const delay = d.permanent ? this.opts.backoff.maxMs : nextBackoffMs(this.attemptCount, this.opts.backoff);
    this.attemptCount++;
    this.events.onDown({ state: d.permanent ? 'failed' : 'backoff', reason: redactCredentials(d.reason), attempt: this.attemptCount, retryAt: now + delay });
    // A listener may have stopped the camera just now.
    if (this.stopped) return;
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  private clearTimers(): void {
    for (const t of [this.retryTimer, this.watchdog]) if (t) clearTimeout(t);
    this.retryTimer = undefined;
    this.watchdog = undefined;
  }
}

/**
 * The reason an operator reads, worded like the ffmpeg path's (decode/ffmpeg-stderr.ts), so the review UI
 * classifies both the same way; the URL (without credentials) is named at the end.
 */
export function diagnoseSessionEnd(err: RtspError | undefined, url: string): Diagnosis {
  const where = ` (${redactCredentials(url)})`;
  if (!err) return { permanent: false, reason: `stream ended: the server closed the connection${where}` };
  const m = err.message;
  switch (err.kind) {
    case 'unauthorized':
      return { permanent: true, reason: `authentication failed (401): check the camera user and password — ${m}${where}` };
    case 'not_found':
      return { permanent: true, reason: `stream not found (404): check the path in the camera URL — ${m}${where}` };
    case 'unsupported_codec':
      return { permanent: true, reason: `unsupported video: the native client reads H.264 and H.265 only, use transport: ffmpeg — ${m}${where}` };
    case 'unsupported_transport':
      return { permanent: true, reason: `RTP over UDP refused: the camera does not stream over UDP, set rtspTransport: tcp — ${m}${where}` };
    case 'session_not_found':
      return { permanent: false, reason: `stream ended: the camera dropped the session (454) — ${m}${where}` };
    case 'timeout':
      if (/no usable media/.test(m)) return { permanent: false, reason: `stream unreadable: data arrives but no video RTP in it (corrupt stream or not the set-up track) — ${m}${where}` };
      return { permanent: false, reason: `timed out: camera unreachable or stream stalled — ${m}${where}` };
    case 'protocol':
      if (err.status === 403) return { permanent: true, reason: `access forbidden (403): the account may not view this stream — ${m}${where}` };
      return { permanent: false, reason: `no valid RTSP answer: not an RTSP server, or one that answered what the client cannot use — ${m}${where}` };
    case 'closed':
      if (/ECONNREFUSED/.test(m)) return { permanent: false, reason: `connection refused: camera or server down, or wrong port — ${m}${where}` };
      if (/EHOSTUNREACH|ENETUNREACH/.test(m)) return { permanent: false, reason: `host unreachable — ${m}${where}` };
      if (/ETIMEDOUT/.test(m)) return { permanent: false, reason: `timed out: camera unreachable or stream stalled — ${m}${where}` };
      return { permanent: false, reason: `stream ended: ${m}${where}` };
  }
}
