import { HEALTH_CHECKS, type CameraRuntimeStatus, type HealthCheck, type SourceStatus } from '../contracts/camera-status.js';

const FPS_WINDOW_MS = 60_000;

interface Tracked {
  status?: SourceStatus;
  since?: number;
  /** Analyzed-frame times within the fps window, oldest first. */
  analyzed: number[];
  firstAnalyzedAt?: number;
  alerts: Map<HealthCheck, number>;
}

/** The per-camera runtime state of one process, from its status changes, analyzed frames and health checks. */
export class CameraStateTracker {
  private readonly cameras = new Map<string, Tracked>();

  constructor(
    readonly worker: string | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  private entry(cameraId: string): Tracked {
    let t = this.cameras.get(cameraId);
    if (!t) {
      t = { analyzed: [], alerts: new Map() };
      this.cameras.set(cameraId, t);
    }
    return t;
  }

  status(s: SourceStatus): void {
    const t = this.entry(s.cameraId);
    if (t.status?.state !== s.state) t.since = this.now();
    t.status = s;
  }

  analyzed(cameraId: string): void {
    const t = this.entry(cameraId);
    const at = this.now();
    t.firstAnalyzedAt ??= at;
    t.analyzed.push(at);
    while (t.analyzed.length > 0 && t.analyzed[0]! <= at - FPS_WINDOW_MS) t.analyzed.shift();
  }

  /** One health check's current value for a camera; the start time is kept while it stays raised. */
  alert(cameraId: string, check: HealthCheck, raised: boolean): void {
    const t = this.entry(cameraId);
    if (raised && !t.alerts.has(check)) t.alerts.set(check, this.now());
    else if (!raised) t.alerts.delete(check);
  }

  forget(cameraId: string): void {
    this.cameras.delete(cameraId);
  }

  cameraIds(): string[] {
    return [...this.cameras.keys()];
  }

  get(cameraId: string): CameraRuntimeStatus | undefined {
    const t = this.cameras.get(cameraId);
    if (!t?.status) return undefined;
    const at = this.now();
    const recent = t.analyzed.filter((x) => x > at - FPS_WINDOW_MS).length;
    const span = Math.min(FPS_WINDOW_MS, Math.max(1_000, at - (t.firstAnalyzedAt ?? at)));
    const out: CameraRuntimeStatus = { ...t.status, since: t.since, fps: Math.round((recent / (span / 1000)) * 1000) / 1000, alerts: [...t.alerts].map(([check, since]) => ({ check, since })) };
    if (this.worker !== undefined) out.worker = this.worker;
    return out;
  }

  all(): CameraRuntimeStatus[] {
    return this.cameraIds().flatMap((id) => this.get(id) ?? []);
  }
}

/** The health checks of one camera as `alert()` calls, after the frame was observed. */
export function syncAlerts(tracker: CameraStateTracker, cameraId: string, isRaised: (check: HealthCheck) => boolean): void {
  for (const check of HEALTH_CHECKS) tracker.alert(cameraId, check, isRaised(check));
}
