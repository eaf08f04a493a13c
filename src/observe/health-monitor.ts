import type { Frame } from '../contracts/frame.js';
import type { Log } from '../log/log.js';
import { CameraHealth, type HealthThresholds } from './camera-health.js';
import { HEALTH_CHECKS, type HealthCheck } from '../contracts/camera-status.js';
import type { PatrolMetrics } from './metrics.js';

/**
 * Camera health for a whole process: one CameraHealth per analyzed camera, alerts as a warn log line
 * (`alert: 'camera-health'`, so log pipelines can route them) and the `patrol_camera_health{camera,check}`
 * gauge. These are ops alerts about the picture, never violation events.
 */
export class HealthMonitor {
  private readonly cameras = new Map<string, CameraHealth>();

  constructor(
    private readonly logger: Log,
    private readonly metrics?: PatrolMetrics,
    private readonly thresholds: Partial<HealthThresholds> = {},
  ) {}

  observe(frame: Frame): void {
    let health = this.cameras.get(frame.cameraId);
    if (!health) {
      health = new CameraHealth(frame.cameraId, this.thresholds);
      this.cameras.set(frame.cameraId, health);
      for (const check of HEALTH_CHECKS) this.metrics?.cameraHealth.set({ camera: frame.cameraId, check }, 0);
    }
    for (const change of health.observe(frame)) {
      this.metrics?.cameraHealth.set({ camera: frame.cameraId, check: change.check }, change.raised ? 1 : 0);
      const fields = { alert: 'camera-health', camera: frame.cameraId, check: change.check, raised: change.raised, value: Math.round(change.value * 100) / 100 };
      if (change.raised) this.logger.warn(fields, `camera ${frame.cameraId}: ${change.message}`);
      else this.logger.info(fields, `camera ${frame.cameraId}: ${change.message}`);
    }
  }

  /** Raised alerts, for status pages and readiness details. */
  raised(): Array<{ camera: string; check: HealthCheck }> {
    const out: Array<{ camera: string; check: HealthCheck }> = [];
    for (const [camera, h] of this.cameras) for (const check of HEALTH_CHECKS) if (h.isRaised(check)) out.push({ camera, check });
    return out;
  }

  get(cameraId: string): CameraHealth | undefined {
    return this.cameras.get(cameraId);
  }

  forget(cameraId: string): void {
    this.cameras.delete(cameraId);
  }
}
