import type { CameraTourConfig } from '../config/schema.js';
import type { TourVisitReport } from '../contracts/camera-status.js';
import type { DecodedKeyframe, KeyframeDecoderPool } from '../decode/decoder-pool.js';
import { silentLog, type Log } from '../log/log.js';
import { redactCredentials } from '../log/redact.js';
import { DEFAULT_BACKOFF, nextBackoffMs, type BackoffOptions } from './backoff.js';
import { diagnoseSessionEnd, type Diagnosis, type SessionLike } from './rtsp-supervisor.js';
import type { RtspError } from './rtsp/errors.js';
import { ReadPacer } from './rtsp/read-pacer.js';
import { RtspSession, type AccessUnit, type RtspSessionOptions } from './rtsp/session.js';
import { localTimeIn, tourPriority, type LocalTime } from './tour-hours.js';
import { chooseVisits, dueAt, failed, isMiss, nextWakeAt, released, visited, type TourEntry } from './tour-schedule.js';

export interface TourRunnerOptions {
  /** The process's shared keyframe decoders: every visit's keyframe is decoded there. */
  pool: KeyframeDecoderPool;
  /** Visits in progress at once (tour.maxVisits). */
  maxVisits: number;
  /** A visit without a keyframe (with parameter sets) this long after it began fails. */
  visitTimeoutMs: number;
  /** Share of the interval a visit may begin late before it is a miss (tour.missTolerance). */
  missTolerance: number;
  /** IANA zone of the market-hours windows; default the machine's. */
  timeZone?: string;
  log?: Log;
  clock?: () => number;
  backoff?: Partial<BackoffOptions>;
  random?: () => number;
  /** Test seam: a fake session instead of a socket. */
  createSession?: (options: RtspSessionOptions, log: Log) => SessionLike;
  /** Batches the visits' socket reads with the process's other cameras (rtsp/read-pacer.ts); default one of the runner's own. */
  readPacer?: ReadPacer;
  /** Every visit, as it ends (metrics). */
  onVisit?: (report: TourVisitReport) => void;
}

/** What a visit brought: the decoded keyframe and when it arrived. */
export interface TourFrame {
  decoded: DecodedKeyframe;
  /** Wall clock of the keyframe's arrival: the frame's timestamp. */
  receivedAt: number;
  /** Its time on this visit's RTP clock (restarts on every visit). */
  streamMs: number;
}

/** Where a toured camera's visits go (its TourCameraSource). */
export interface TourSink {
  frame(frame: TourFrame): void;
  /** A visit failed; the camera is retried at `retryAt` (permanent causes at the longest backoff). */
  down(d: { permanent: boolean; reason: string; attempt: number; retryAt: number }): void;
}

export interface TourCameraSpec {
  id: string;
  url: string;
  /** How RTP travels on a visit (camera rtspTransport); default tcp. */
  rtspTransport?: 'tcp' | 'udp';
  tour: Pick<CameraTourConfig, 'revisitSec' | 'priority' | 'hours'>;
}

/** The tour's bookkeeping of one camera, for its status. */
export interface TourCameraInfo {
  revisitSec: number;
  lastVisitAt?: number;
  nextDueAt?: number;
  visits: number;
  misses: number;
  held: boolean;
}

interface Toured {
  spec: TourCameraSpec;
  sink: TourSink;
  entry: TourEntry;
  visits: number;
  misses: number;
  /** Failed visits in a row (the backoff's attempt). */
  failures: number;
  /** Ends the visit in progress (the camera was removed). */
  abort?: () => void;
}

/** Priorities are re-read at least this often, so a market-hours window that opens takes effect. */
const MAX_SLEEP_MS = 10_000;

/**
 * Tour mode (轮巡): cameras that are not held open. With at most `maxVisits` visits at once, the scheduler
 * (tour-schedule.ts) picks the latest due cameras; a visit connects with the in-process RTSP client, waits for
 * the first keyframe that carries its parameter sets (under `visitTimeoutMs`), disconnects (TEARDOWN), and
 * decodes the keyframe in the shared pool: one Frame per visit. A failed visit — 401, 404, refused, no keyframe
 * in time — backs that camera off with the same reasons and policy as a held native camera and never holds up
 * the others. A camera the pipeline holds open (hold) is not toured until release.
 */
export class TourRunner {
  private readonly cameras = new Map<string, Toured>();
  private readonly log: Log;
  private readonly readPacer: ReadPacer;
  private readonly clock: () => number;
  private readonly backoff: BackoffOptions;
  private readonly localTime: (epochMs: number) => LocalTime;
  private active = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly opts: TourRunnerOptions) {
    if (!(opts.maxVisits >= 1)) throw new RangeError('tour: maxVisits must be at least 1');
    this.log = opts.log ?? silentLog;
    this.clock = opts.clock ?? Date.now;
    this.backoff = { ...DEFAULT_BACKOFF, ...opts.backoff, random: opts.random ?? opts.backoff?.random };
    this.localTime = localTimeIn(opts.timeZone);
    // One pacer for every visit: a session's own would allocate a read buffer and a timer per visit.
    this.readPacer = opts.readPacer ?? new ReadPacer();
  }

  get pool(): KeyframeDecoderPool {
    return this.opts.pool;
  }

  /** Visits in progress now. */
  get visiting(): number {
    return this.active;
  }

  /** Cameras held open now. */
  get held(): number {
    let n = 0;
    for (const c of this.cameras.values()) if (c.entry.held) n++;
    return n;
  }

  /** Tours the camera from now on: its first visit is due at once. */
  add(spec: TourCameraSpec, sink: TourSink): void {
    if (this.closed) return;
    if (this.cameras.has(spec.id)) throw new Error(`camera ${spec.id} is already toured`);
    const intervalMs = this.intervalMs(spec, spec.tour.hours.length > 0 ? this.localTime(this.clock()) : undefined);
    this.cameras.set(spec.id, { spec, sink, entry: { id: spec.id, intervalMs, held: false, visiting: false }, visits: 0, misses: 0, failures: 0 });
    this.schedule();
  }

  /** Stops touring the camera; a visit in progress is cut short and brings nothing. */
  remove(cameraId: string): void {
    const c = this.cameras.get(cameraId);
    if (!c) return;
    this.cameras.delete(cameraId);
    c.abort?.();
  }

  /** Held open by its own session (a candidate or open event): no visits until release. */
  hold(cameraId: string): void {
    const c = this.cameras.get(cameraId);
    if (c) c.entry = { ...c.entry, held: true };
  }

  /** Back to the tour: watched until now, so the next visit is one interval away. */
  release(cameraId: string): void {
    const c = this.cameras.get(cameraId);
    if (!c || !c.entry.held) return;
    c.entry = released(c.entry, this.clock());
    this.schedule();
  }

  info(cameraId: string): TourCameraInfo | undefined {
    const c = this.cameras.get(cameraId);
    if (!c) return undefined;
    const e = c.entry;
    const due = dueAt(e);
    return {
      revisitSec: e.intervalMs / 1000,
      lastVisitAt: e.lastVisitAt,
      nextDueAt: e.held || !Number.isFinite(due) ? undefined : due,
      visits: c.visits,
      misses: c.misses,
      held: e.held,
    };
  }

  /** Stops all visits and waits for those in progress to close their connections. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const c of this.cameras.values()) c.abort?.();
    this.cameras.clear();
    await Promise.all([...this.inFlight]);
  }

  /** The revisit interval with the priority now (market hours need the local time). */
  private intervalMs(spec: TourCameraSpec, local: LocalTime | undefined): number {
    const p = local && spec.tour.hours.length > 0 ? tourPriority(spec.tour, local) : spec.tour.priority;
    return (spec.tour.revisitSec * 1000) / p;
  }

  /** Fills free visit slots with the latest due cameras, then sleeps until the next is due. */
  private schedule(): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const now = this.clock();
    const hasHours = [...this.cameras.values()].some((c) => c.spec.tour.hours.length > 0);
    if (hasHours) {
      const local = this.localTime(now);
      for (const c of this.cameras.values()) {
        const intervalMs = this.intervalMs(c.spec, local);
        if (intervalMs !== c.entry.intervalMs) c.entry = { ...c.entry, intervalMs };
      }
    }
    const entries = [...this.cameras.values()].map((c) => c.entry);
    for (const id of chooseVisits(entries, this.opts.maxVisits - this.active, now)) this.start(this.cameras.get(id)!, now);
    if (this.active >= this.opts.maxVisits) return; // the next visit's end schedules again
    const wake = nextWakeAt([...this.cameras.values()].map((c) => c.entry));
    if (wake === undefined && !hasHours) return;
    const sleep = Math.min(MAX_SLEEP_MS, Math.max(0, (wake ?? Infinity) - now));
    this.timer = setTimeout(() => this.schedule(), Math.max(10, sleep));
  }

  private start(c: Toured, now: number): void {
    const miss = isMiss(c.entry, now, this.opts.missTolerance);
    if (miss) c.misses++;
    c.entry = { ...c.entry, visiting: true };
    this.active++;
    const run = this.visit(c, now, miss).finally(() => {
      this.active--;
      this.inFlight.delete(run);
      this.schedule();
    });
    this.inFlight.add(run);
  }

  private async visit(c: Toured, startedAt: number, miss: boolean): Promise<void> {
    const id = c.spec.id;
    const { keyframe, closed } = this.firstKeyframe(c);
    let report: TourVisitReport;
    try {
      const got = await keyframe;
      // Decoding overlaps the TEARDOWN; the slot is freed once both are done.
      const [decoded] = await Promise.all([
        this.opts.pool.decode(got.au.codec, got.au.data).catch((err: unknown) => {
          throw { permanent: false, reason: `keyframe not decoded: ${err instanceof Error ? err.message : String(err)}` } satisfies Diagnosis;
        }),
        closed,
      ]);
      if (this.cameras.get(id) !== c) return;
      c.entry = visited(c.entry, startedAt);
      c.visits++;
      c.failures = 0;
      report = { cameraId: id, ok: true, startedAt, durationMs: this.clock() - startedAt, miss };
      c.sink.frame({ decoded, receivedAt: got.receivedAt, streamMs: got.au.timestampMs });
    } catch (err) {
      await closed;
      if (this.cameras.get(id) !== c) return;
      const d: Diagnosis = isDiagnosis(err) ? err : { permanent: false, reason: err instanceof Error ? err.message : String(err) };
      const now = this.clock();
      // A permanent cause (401, 404) is retried at the longest backoff, and never sooner than the camera's interval.
      const delay = d.permanent ? Math.max(this.backoff.maxMs, c.entry.intervalMs) : nextBackoffMs(c.failures, this.backoff);
      c.failures++;
      c.entry = failed(c.entry, now + delay);
      const reason = redactCredentials(d.reason);
      report = { cameraId: id, ok: false, startedAt, durationMs: now - startedAt, miss, reason };
      c.sink.down({ permanent: d.permanent, reason, attempt: c.failures, retryAt: now + delay });
    }
    this.opts.onVisit?.(report);
  }

  /**
   * Connects; `keyframe` resolves with the first keyframe that carries its parameter sets (decodable on its
   * own) or rejects with a Diagnosis when the session ends first or the visit times out; either way the
   * session is closed (TEARDOWN) at once, and `closed` resolves when the connection is gone.
   */
  private firstKeyframe(c: Toured): { keyframe: Promise<{ au: AccessUnit; receivedAt: number }>; closed: Promise<void> } {
    const timeoutMs = this.opts.visitTimeoutMs;
    const options: RtspSessionOptions = { url: c.spec.url, connectTimeoutMs: timeoutMs, requestTimeoutMs: timeoutMs, dataTimeoutMs: timeoutMs, transport: c.spec.rtspTransport ?? 'tcp' };
    const create = this.opts.createSession ?? ((o: RtspSessionOptions, log: Log): SessionLike => new RtspSession(o, log, { pacer: this.readPacer }));
    let session: SessionLike;
    try {
      session = create(options, this.log);
    } catch (err) {
      const d: Diagnosis = { permanent: true, reason: `cannot open the camera URL: ${err instanceof Error ? err.message : String(err)}` };
      return { keyframe: Promise.reject(d), closed: Promise.resolve() };
    }
    let markClosed!: () => void;
    const closed = new Promise<void>((done) => (markClosed = done));
    const keyframe = new Promise<{ au: AccessUnit; receivedAt: number }>((resolve, reject) => {
      let settled = false;
      let lastError: RtspError | undefined;
      const seen = { accessUnits: 0, keyframes: 0 };
      const finish = (outcome: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        c.abort = undefined;
        outcome();
        void session.close().catch(() => undefined).finally(markClosed);
      };
      const timer = setTimeout(() => {
        const why =
          seen.accessUnits === 0
            ? 'no video from the camera, stream stalled or camera too slow to answer'
            : seen.keyframes === 0
              ? 'video arrives but no keyframe; the GOP may be longer than tour.visitTimeoutSec, or the camera uses intra refresh (no IDR frames)'
              : 'keyframes arrive without their parameter sets (SPS/PPS)';
        finish(() => reject({ permanent: false, reason: `no keyframe within ${timeoutMs / 1000} s of the visit: ${why} (${redactCredentials(c.spec.url)})` } satisfies Diagnosis));
      }, timeoutMs);
      c.abort = () => finish(() => reject({ permanent: false, reason: 'visit cut short: the camera left the tour' } satisfies Diagnosis));
      session.on('error', (err) => (lastError = err));
      session.on('accessUnit', (au) => {
        seen.accessUnits++;
        if (au.keyframe) seen.keyframes++;
        if (au.keyframe && hasParameterSets(au)) finish(() => resolve({ au, receivedAt: this.clock() }));
      });
      session.on('state', (s) => {
        if (s !== 'closed') return;
        markClosed();
        finish(() => reject(diagnoseSessionEnd(lastError, c.spec.url)));
      });
      session.start();
    });
    return { keyframe, closed };
  }
}

function isDiagnosis(x: unknown): x is Diagnosis {
  return typeof x === 'object' && x !== null && 'permanent' in x && 'reason' in x;
}

/** A keyframe the decoder can start from: H.264 needs SPS and PPS, H.265 also the VPS. */
function hasParameterSets(au: AccessUnit): boolean {
  const ps = au.parameterSets;
  return ps.sps.length > 0 && ps.pps.length > 0 && (au.codec !== 'h265' || (ps.vps?.length ?? 0) > 0);
}
