import type { Redis } from 'ioredis';
import type { Log } from '../log/log.js';
import { decodeScene, encodeScene, MAX_SCENE_RESUME_GAP_MS, type ScenePort } from '../scene/snapshot.js';
import type { SceneState } from '../scene/model.js';
import type { FleetKeys } from './keys.js';
import { SAVE_FENCED } from './scripts.js';
import { WriteChains } from './write-chains.js';

/**
 * Scene models in Redis, so the next owner of a camera continues its reference (and the regions it
 * tracks) instead of taking the view as it is as a new baseline. ~200 KB a camera: saved every 5 minutes
 * of analysis (and on event changes and hand-over), kept only as long as it could be resumed. Writes are
 * fenced by the lease like open events. Same shape as RedisOpenEvents: prefetch before the camera is
 * added, saves chained per camera, flush before the lease is released.
 */
export class RedisScenes implements ScenePort {
  readonly saveEveryMs = 5 * 60_000;
  private readonly prefetched = new Map<string, SceneState>();
  private readonly chains = new WriteChains();
  refused = 0;
  failed = 0;

  constructor(
    private readonly redis: Redis,
    private readonly keys: FleetKeys,
    private readonly leaseValueOf: (cameraId: string) => string | undefined,
    private readonly logger: Log,
  ) {}

  async prefetch(cameraId: string): Promise<void> {
    let raw: Buffer | null;
    try {
      raw = await this.redis.getBuffer(this.keys.scene(cameraId));
    } catch (err) {
      // No saved scene is the normal start: the camera takes its view as the baseline.
      this.logger.warn({ camera: cameraId, err: err instanceof Error ? err.message : String(err) }, `could not read the scene model of camera ${cameraId}; it starts a new baseline`);
      return;
    }
    if (!raw) return;
    const decoded = decodeScene(raw);
    if ('error' in decoded) this.logger.warn({ camera: cameraId, reason: decoded.error }, `ignoring unreadable scene model of camera ${cameraId} in Redis`);
    else this.prefetched.set(cameraId, decoded.state);
  }

  load(cameraId: string): SceneState | undefined {
    const state = this.prefetched.get(cameraId);
    this.prefetched.delete(cameraId);
    return state;
  }

  save(cameraId: string, state: SceneState): void {
    const value = this.leaseValueOf(cameraId);
    if (value === undefined) {
      this.refused++;
      return;
    }
    const bytes = encodeScene(state);
    const write = async (): Promise<void> => {
      try {
        const ok = (await SAVE_FENCED.run(this.redis, [this.keys.lease(cameraId), this.keys.scene(cameraId)], [value, bytes, MAX_SCENE_RESUME_GAP_MS])) === 1;
        if (!ok) this.refused++;
      } catch (err) {
        // The next save carries the whole model again.
        this.failed++;
        this.logger.warn({ camera: cameraId, err: err instanceof Error ? err.message : String(err) }, `could not save the scene model of camera ${cameraId} to Redis`);
      }
    };
    this.chains.add(cameraId, write);
  }

  /** Waits until every save already made for this camera (or all cameras) reached Redis or failed. */
  flush(cameraId?: string): Promise<void> {
    return this.chains.flush(cameraId);
  }
}
