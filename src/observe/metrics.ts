import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Detections } from '../contracts/detections.js';
import type { Frame } from '../contracts/frame.js';
import type { SourceState, SourceStatus, TourVisitReport, Transport } from '../contracts/camera-status.js';
import type { EventChange } from '../contracts/event.js';
import type { DispatchQueue } from '../dispatch/queue.js';
import { BudgetMeter, IntervalTracker } from './analysis-meters.js';
import { withTimeout } from '../timeout.js';

export type ProcessRole = 'run' | 'worker' | 'serve';

const STATES: readonly SourceState[] = ['connecting', 'live', 'backoff', 'failed', 'stopped'];
const TRANSPORTS: readonly Transport[] = ['ffmpeg', 'native'];
/** How RTP travels (TransportChoice.rtp); none for a file input. */
const RTPS = ['tcp', 'udp', 'none'] as const;

/** What a process's metrics need to know about its cameras (analysis interval, for misses and demand). */
export interface CameraIntervals {
  intervalMs(cameraId: string): number | undefined;
}

/**
 * Every Prometheus metric Patrol exports, in one registry per process (never prom-client's global one, so
 * tests and several roles in one process do not collide). Names follow Prometheus conventions: `_total`
 * counters, base units (seconds), `camera` as the per-camera label.
 */
export class PatrolMetrics {
  readonly registry = new Registry();
  readonly framesDecoded: Counter<'camera'>;
  readonly framesAnalyzed: Counter<'camera'>;
  readonly framesSkipped: Counter<'camera'>;
  readonly intervalMisses: Counter<'camera'>;
  readonly lastAnalyzedAge: Gauge<'camera'>;
  readonly lastFrameAge: Gauge<'camera'>;
  readonly cameraState: Gauge<'camera' | 'state'>;
  readonly cameraTransport: Gauge<'camera' | 'transport' | 'rtp'>;
  readonly cameraHealth: Gauge<'camera' | 'check'>;
  readonly inferenceSeconds: Histogram;
  readonly batchSize: Histogram;
  readonly events: Counter<'type' | 'kind'>;
  readonly queueDepth: Gauge;
  readonly capacityFps: Gauge;
  readonly demandFps: Gauge;
  readonly leasesHeld: Gauge;
  readonly liveWorkers: Gauge;
  readonly leaseQuota: Gauge;
  readonly registeredCameras: Gauge;
  readonly leaseChanges: Counter<'change'>;
  readonly fenced: Counter<'what'>;
  readonly info: Gauge<'role' | 'worker' | 'model'>;
  readonly tourVisits: Counter<'camera' | 'result'>;
  readonly tourVisitSeconds: Histogram<'result'>;
  readonly tourMisses: Counter<'camera'>;
  readonly tourCameras: Gauge<'held'>;

  readonly intervals = new IntervalTracker();
  readonly budget = new BudgetMeter();
  private readonly decoded = new Map<string, number>();
  private readonly analyzed = new Map<string, number>();
  private readonly skippedCounted = new Map<string, number>();
  private readonly statuses = new Map<string, SourceStatus>();
  private queue: DispatchQueue | undefined;
  private cameraIntervals: CameraIntervals | undefined;

  constructor(readonly role: ProcessRole) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.registry.setDefaultLabels({ role });
    const self = this;
    this.info = new Gauge({ name: 'patrol_info', help: 'Constant 1; labels say what this process is', labelNames: ['role', 'worker', 'model'], registers });
    this.framesDecoded = new Counter({ name: 'patrol_frames_decoded_total', help: 'Sampled frames decoded per camera (input to the scheduler)', labelNames: ['camera'], registers });
    this.framesAnalyzed = new Counter({ name: 'patrol_frames_analyzed_total', help: 'Frames run through the detector and scored, per camera', labelNames: ['camera'], registers });
    this.framesSkipped = new Counter({
      name: 'patrol_frames_skipped_total',
      help: 'Decoded frames never analyzed: replaced in the mailbox by a fresher frame of the same camera (the worker is over capacity) or dropped when the camera moved',
      labelNames: ['camera'],
      registers,
      collect() {
        for (const [camera, n] of self.decoded) {
          // One frame may legitimately be waiting or in flight.
          const skipped = Math.max(0, n - (self.analyzed.get(camera) ?? 0) - 1);
          const have = self.skippedCounted.get(camera) ?? 0;
          if (skipped > have) {
            this.inc({ camera }, skipped - have);
            self.skippedCounted.set(camera, skipped);
          }
        }
      },
    });
    this.intervalMisses = new Counter({
      name: 'patrol_interval_misses_total',
      help: "Analyses that came later than 1.5 × the camera's interval while the camera was live (the scheduler could not keep up)",
      labelNames: ['camera'],
      registers,
    });
    this.lastAnalyzedAge = new Gauge({
      name: 'patrol_camera_last_analyzed_age_seconds',
      help: 'Seconds since the camera was last analyzed by this process',
      labelNames: ['camera'],
      registers,
      collect() {
        const now = Date.now();
        for (const camera of self.statuses.keys()) {
          const age = self.intervals.ageMs(camera, now);
          if (age !== undefined) this.set({ camera }, age / 1000);
        }
      },
    });
    this.lastFrameAge = new Gauge({
      name: 'patrol_camera_last_frame_age_seconds',
      help: 'Seconds since the camera last delivered a frame',
      labelNames: ['camera'],
      registers,
      collect() {
        const now = Date.now();
        for (const [camera, s] of self.statuses) if (s.lastFrameAt !== undefined) this.set({ camera }, (now - s.lastFrameAt) / 1000);
      },
    });
    this.cameraState = new Gauge({ name: 'patrol_camera_state', help: 'Camera source state: 1 for the current state, 0 for the others', labelNames: ['camera', 'state'], registers });
    this.cameraTransport = new Gauge({ name: 'patrol_camera_transport', help: 'How the camera is received: 1 for its transport (ffmpeg or native), 0 for the other; rtp says how RTP travels (tcp, udp, or none for a file)', labelNames: ['camera', 'transport', 'rtp'], registers });
    this.cameraHealth = new Gauge({
      name: 'patrol_camera_health',
      help: 'Analyzability alerts per camera and check (frozen, dark, blurred, shifted): 1 raised, 0 clear',
      labelNames: ['camera', 'check'],
      registers,
    });
    this.inferenceSeconds = new Histogram({
      name: 'patrol_inference_seconds',
      help: 'Detector latency per batch',
      buckets: [0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.batchSize = new Histogram({ name: 'patrol_inference_batch_size', help: 'Frames per detector call', buckets: [1, 2, 4, 8, 16, 32], registers });
    this.events = new Counter({ name: 'patrol_events_total', help: 'Event changes published, by violation type and kind (opened, updated, ended)', labelNames: ['type', 'kind'], registers });
    this.queueDepth = new Gauge({
      name: 'patrol_queue_depth',
      help: 'Dispatch queue messages published but not yet acknowledged (including spooled ones)',
      registers,
      async collect() {
        if (!self.queue) return;
        const depth = await withTimeout(self.queue.depth(), 1_000, 'queue depth').catch(() => undefined);
        if (depth !== undefined) this.set(depth);
      },
    });
    this.capacityFps = new Gauge({
      name: 'patrol_worker_capacity_fps',
      help: "Frames per second this process's detector can analyze, measured (EWMA of ms per frame)",
      registers,
      collect() {
        const c = self.budget.capacityFps();
        if (c !== undefined) this.set(c);
      },
    });
    this.demandFps = new Gauge({
      name: 'patrol_worker_demand_fps',
      help: "Frames per second this process's cameras ask for (sum of 1 / interval)",
      registers,
      collect() {
        let fps = 0;
        for (const camera of self.statuses.keys()) {
          const ms = self.cameraIntervals?.intervalMs(camera);
          if (ms) fps += 1000 / ms;
        }
        this.set(fps);
      },
    });
    this.leasesHeld = new Gauge({ name: 'patrol_fleet_leases_held', help: 'Camera leases this worker holds', registers });
    this.liveWorkers = new Gauge({ name: 'patrol_fleet_live_workers', help: 'Workers with a live heartbeat, as this worker last saw', registers });
    this.leaseQuota = new Gauge({ name: 'patrol_fleet_lease_quota', help: "This worker's share: ceil(registered cameras / live workers)", registers });
    this.registeredCameras = new Gauge({ name: 'patrol_fleet_registered_cameras', help: 'Cameras registered in Redis for the fleet', registers });
    this.leaseChanges = new Counter({ name: 'patrol_fleet_lease_changes_total', help: 'Leases acquired, released and lost by this worker', labelNames: ['change'], registers });
    this.fenced = new Counter({
      name: 'patrol_fleet_fenced_total',
      help: 'Work refused because the camera lease was running out or gone: frames not scored, publishes and saves refused',
      labelNames: ['what'],
      registers,
    });
    this.tourVisits = new Counter({ name: 'patrol_tour_visits_total', help: 'Tour visits per toured camera, by result (ok: a keyframe decoded; failed: refused, 401/404, no keyframe in time)', labelNames: ['camera', 'result'], registers });
    this.tourVisitSeconds = new Histogram({
      name: 'patrol_tour_visit_seconds',
      help: 'Duration of a tour visit: connect, first keyframe, disconnect and decode (mostly the wait for the next keyframe)',
      labelNames: ['result'],
      buckets: [0.1, 0.25, 0.5, 1, 1.5, 2, 3, 5, 10, 20],
      registers,
    });
    this.tourMisses = new Counter({
      name: 'patrol_tour_interval_misses_total',
      help: 'Tour visits that began later than the camera\'s revisit interval (priority applied) plus tour.missTolerance: the tour is over capacity (add visit slots or workers, or lengthen revisitSec)',
      labelNames: ['camera'],
      registers,
    });
    this.tourCameras = new Gauge({
      name: 'patrol_tour_cameras',
      help: 'Toured cameras of this process: held open (a candidate or open event) or touring',
      labelNames: ['held'],
      registers,
      collect() {
        let held = 0;
        let touring = 0;
        for (const s of self.statuses.values()) if (s.tour) s.tour.held ? held++ : touring++;
        this.set({ held: 'true' }, held);
        this.set({ held: 'false' }, touring);
      },
    });
  }

  setQueue(queue: DispatchQueue): void {
    this.queue = queue;
  }

  setCameraIntervals(intervals: CameraIntervals): void {
    this.cameraIntervals = intervals;
  }

  // --- pipeline hooks ---

  frameDecoded(cameraId: string): void {
    this.framesDecoded.inc({ camera: cameraId });
    this.decoded.set(cameraId, (this.decoded.get(cameraId) ?? 0) + 1);
  }

  frameAnalyzed(frame: Frame, _detections?: Detections): void {
    const camera = frame.cameraId;
    this.framesAnalyzed.inc({ camera });
    this.analyzed.set(camera, (this.analyzed.get(camera) ?? 0) + 1);
    const intervalMs = this.cameraIntervals?.intervalMs(camera);
    if (intervalMs !== undefined && this.intervals.record(camera, intervalMs, Date.now())) this.intervalMisses.inc({ camera });
  }

  batch(size: number, ms: number): void {
    this.inferenceSeconds.observe(ms / 1000);
    this.batchSize.observe(size);
    this.budget.batch(size, ms);
  }

  status(s: SourceStatus): void {
    if (!this.statuses.has(s.cameraId)) {
      // Zero series from the start, so dashboards show a camera with no misses rather than no data.
      this.intervalMisses.inc({ camera: s.cameraId }, 0);
      this.framesSkipped.inc({ camera: s.cameraId }, 0);
    }
    this.statuses.set(s.cameraId, s);
    for (const state of STATES) this.cameraState.set({ camera: s.cameraId, state }, state === s.state ? 1 : 0);
    if (s.transport) {
      const rtp = s.transport.rtp ?? 'none';
      for (const transport of TRANSPORTS) {
        // One rtp value per camera: one added again with another rtspTransport leaves no stale series.
        for (const other of RTPS) if (other !== rtp) this.cameraTransport.remove({ camera: s.cameraId, transport, rtp: other });
        this.cameraTransport.set({ camera: s.cameraId, transport, rtp }, transport === s.transport.kind ? 1 : 0);
      }
    }
    // An outage is the camera's fault, not the scheduler's: the next analysis after it is not a miss.
    if (s.state !== 'live') this.intervals.reset(s.cameraId);
  }

  tourVisit(v: TourVisitReport): void {
    const result = v.ok ? 'ok' : 'failed';
    this.tourVisits.inc({ camera: v.cameraId, result });
    this.tourVisitSeconds.observe({ result }, v.durationMs / 1000);
    if (v.miss) this.tourMisses.inc({ camera: v.cameraId });
  }

  eventChange(change: EventChange): void {
    this.events.inc({ type: change.event.type, kind: change.kind });
  }

  /** A camera left this process (lease released or lost): drop its series so they do not linger. */
  forgetCamera(cameraId: string): void {
    for (const m of [this.framesDecoded, this.framesAnalyzed, this.framesSkipped, this.intervalMisses, this.lastAnalyzedAge, this.lastFrameAge, this.tourMisses]) m.remove({ camera: cameraId });
    for (const result of ['ok', 'failed']) this.tourVisits.remove({ camera: cameraId, result });
    for (const state of STATES) this.cameraState.remove({ camera: cameraId, state });
    for (const transport of TRANSPORTS) for (const rtp of RTPS) this.cameraTransport.remove({ camera: cameraId, transport, rtp });
    for (const check of ['frozen', 'dark', 'blurred', 'shifted']) this.cameraHealth.remove({ camera: cameraId, check });
    this.decoded.delete(cameraId);
    this.analyzed.delete(cameraId);
    this.skippedCounted.delete(cameraId);
    this.statuses.delete(cameraId);
    this.intervals.forget(cameraId);
  }

  /** Cameras this process currently reports on. */
  cameras(): string[] {
    return [...this.statuses.keys()];
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }
}
