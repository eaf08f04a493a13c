import type { Logger } from 'pino';
import type { PatrolConfig } from '../config/schema.js';
import type { DispatchQueue } from '../dispatch/queue.js';
import type { Detections } from '../contracts/detections.js';
import type { Frame } from '../contracts/frame.js';
import type { SourceStatus, TourVisitReport } from '../contracts/camera-status.js';
import type { EventChange } from '../contracts/event.js';
import { PatrolError } from '../errors.js';
import { HealthMonitor } from './health-monitor.js';
import { PatrolMetrics, type ProcessRole } from './metrics.js';
import { withTimeout } from '../timeout.js';
import { startObserveServer, type ObserveServer, type ReadyCheck } from './server.js';

/** What readiness needs to know about the running pipeline (a subset of Pipeline). */
export interface PipelineView {
  statuses(): SourceStatus[];
  cameraIds(): string[];
}

export interface ObservabilityOptions {
  role: ProcessRole;
  config: PatrolConfig;
  logger: Logger;
  queue?: DispatchQueue;
  workerId?: string;
  env?: NodeJS.ProcessEnv;
}

/** The pipeline hooks observability feeds on (spread into startPipeline's options). */
export interface ObservedHooks {
  onStatus: (status: SourceStatus) => void;
  onFrame: (cameraId: string) => void;
  onChange: (change: EventChange) => void;
  onAnalyzed: (frame: Frame, detections: Detections) => void;
  onBatch: (size: number, ms: number) => void;
  onTourVisit: (visit: TourVisitReport) => void;
}

/**
 * One process's observability: its own prom-client registry (PatrolMetrics), camera health checks, and
 * the /metrics /healthz /readyz server on `fleet.metricsHost:metricsPort` (PATROL_METRICS_HOST/PORT win;
 * PATROL_METRICS_PORT=off disables it). Readiness: detector loaded, dispatch queue answering (it spools
 * during a Redis outage, which still counts), at least one camera live when any are assigned, plus any
 * checks the role adds (a worker: Redis heartbeat).
 */
export class Observability {
  readonly metrics: PatrolMetrics;
  readonly health: HealthMonitor;
  private pipeline: PipelineView | undefined;
  private server: ObserveServer | undefined;
  private readonly extra = new Map<string, () => ReadyCheck>();
  private readonly intervals = new Map<string, number>();
  private capacityTimer: NodeJS.Timeout | undefined;
  private overCapacity = false;

  constructor(private readonly opts: ObservabilityOptions) {
    this.metrics = new PatrolMetrics(opts.role);
    this.health = new HealthMonitor(opts.logger.child({ part: 'camera-health' }), this.metrics);
    if (opts.queue) this.metrics.setQueue(opts.queue);
    // A toured camera asks for one analysis per revisit (priority applied); held open it gets more, never a miss.
    for (const c of opts.config.cameras) this.intervals.set(c.id, c.tour ? (c.tour.revisitSec * 1000) / c.tour.priority : c.intervalSec * 1000);
    this.metrics.setCameraIntervals({ intervalMs: (id) => this.intervals.get(id) });
  }

  get hooks(): ObservedHooks {
    return {
      onStatus: (s) => this.metrics.status(s),
      onFrame: (id) => this.metrics.frameDecoded(id),
      onChange: (c) => this.metrics.eventChange(c),
      onAnalyzed: (frame, detections) => {
        this.metrics.frameAnalyzed(frame, detections);
        this.health.observe(frame);
      },
      onBatch: (size, ms) => this.metrics.batch(size, ms),
      onTourVisit: (visit) => this.metrics.tourVisit(visit),
    };
  }

  /** The detector is loaded and the pipeline runs. */
  setPipeline(p: PipelineView, model?: { name: string; version: string }): void {
    this.pipeline = p;
    this.capacityTimer ??= setInterval(() => this.checkCapacity(), 30_000);
    this.capacityTimer.unref();
    this.metrics.info.set({ role: this.opts.role, worker: this.opts.workerId ?? '', model: model ? `${model.name}@${model.version}` : '' }, 1);
  }

  /** A role-specific readiness check (evaluated on every /readyz). */
  addCheck(name: string, check: () => ReadyCheck): void {
    this.extra.set(name, check);
  }

  forgetCamera(cameraId: string): void {
    this.metrics.forgetCamera(cameraId);
    this.health.forget(cameraId);
  }

  async readiness(): Promise<Record<string, ReadyCheck>> {
    const checks: Record<string, ReadyCheck> = {};
    if (this.opts.role !== 'serve') checks.detector = this.pipeline ? { ok: true } : { ok: false, detail: 'model still loading' };
    if (this.opts.queue) {
      const q = this.opts.queue;
      const depth = await withTimeout(q.depth(), 1_500, 'queue depth').catch(() => undefined);
      checks.queue = depth === undefined ? { ok: false, detail: 'dispatch queue did not answer' } : { ok: true, detail: `depth ${depth}` };
    }
    if (this.pipeline) {
      const statuses = this.pipeline.statuses();
      const live = statuses.filter((s) => s.state === 'live').length;
      checks.cameras = statuses.length === 0 || live > 0 ? { ok: true, detail: `${live}/${statuses.length} live` } : { ok: false, detail: `none of ${statuses.length} cameras live` };
    }
    for (const [name, check] of this.extra) checks[name] = check();
    return checks;
  }

  /** Starts the HTTP endpoint. `required`: a port that cannot be bound is an error (workers); else a warning. */
  async listen(required: boolean): Promise<ObserveServer | undefined> {
    const env = this.opts.env ?? process.env;
    const portText = env.PATROL_METRICS_PORT?.trim();
    if (portText === 'off') return undefined;
    const port = portText ? Number(portText) : this.opts.config.fleet.metricsPort;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new PatrolError(`PATROL_METRICS_PORT=${portText} is not a TCP port.`, 'Set it to a number from 0 to 65535 (0: any free port), or to off.');
    const host = env.PATROL_METRICS_HOST?.trim() || this.opts.config.fleet.metricsHost;
    try {
      this.server = await startObserveServer({ host, port, registry: this.metrics.registry, ready: () => this.readiness() });
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      if (required) throw new PatrolError(`cannot serve /metrics on ${host}:${port}: ${why}`, 'Give each worker on a machine its own port: PATROL_METRICS_PORT=9465 (or 0 for any free port).');
      this.opts.logger.warn({ host, port, err: why }, `no /metrics endpoint: ${host}:${port} is not available (set PATROL_METRICS_PORT)`);
      return undefined;
    }
    this.opts.logger.info({ url: this.server.url }, `metrics and health on ${this.server.url}/metrics, /healthz, /readyz`);
    return this.server;
  }

  /**
   * The budget check: measured detector capacity against what the cameras ask for. Over capacity the
   * mailbox degrades fairly (longest waiting first), but ops should know: one warn line on the way in,
   * one info line on the way out.
   */
  checkCapacity(): { demandFps: number; capacityFps?: number; over: boolean } {
    const ids = this.pipeline?.cameraIds() ?? [];
    let demandFps = 0;
    for (const id of ids) demandFps += 1000 / (this.intervals.get(id) ?? 5_000);
    const capacityFps = this.metrics.budget.capacityFps();
    const over = capacityFps !== undefined && demandFps > capacityFps;
    const fields = { demandFps: Math.round(demandFps * 10) / 10, capacityFps: capacityFps && Math.round(capacityFps * 10) / 10, cameras: ids.length, msPerFrame: this.metrics.budget.perFrameMs };
    if (over && !this.overCapacity) this.opts.logger.warn(fields, `over capacity: ${ids.length} cameras ask for ${fields.demandFps} analyses/s, the detector does ${fields.capacityFps}; every camera is analyzed less often than its interval (fairly). Add workers or lengthen intervals`);
    if (!over && this.overCapacity) this.opts.logger.info(fields, 'back within capacity: cameras are analyzed on their intervals');
    this.overCapacity = over;
    return { demandFps, capacityFps, over };
  }

  async close(): Promise<void> {
    if (this.capacityTimer) clearInterval(this.capacityTimer);
    await this.server?.close();
    this.server = undefined;
  }
}
