import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { CameraConfig } from '../config/schema.js';
import type { FleetKeys } from './keys.js';

/** A short digest of a camera's full config (URL, zones, interval…): equal digests = same camera setup. */
export function cameraFingerprint(camera: CameraConfig): string {
  return createHash('sha256').update(JSON.stringify(camera)).digest('hex').slice(0, 16);
}

/**
 * The cameras the fleet analyzes, in Redis: a hash of camera id → fingerprint of its config. Redis never
 * holds the configs themselves — camera URLs carry credentials (substituted from the environment) — so
 * every worker runs a camera from its own config file and leases only cameras whose fingerprint matches
 * its copy. Workers register their file's enabled cameras at start (all workers share one file; the last
 * one started defines the set); a worker whose file is older skips changed and new cameras until it is
 * restarted with the new file, and says so in its log.
 */
export class CameraRegistry {
  private version = -1;
  private registered = new Map<string, string>();

  constructor(
    private readonly redis: Redis,
    private readonly keys: FleetKeys,
  ) {}

  /** Makes the registry exactly these cameras (enabled ones only); bumps the version when anything changed. */
  async register(cameras: readonly CameraConfig[]): Promise<{ changed: boolean; count: number }> {
    const wanted = new Map(cameras.filter((c) => c.enabled).map((c) => [c.id, cameraFingerprint(c)]));
    const current = await this.redis.hgetall(this.keys.cameras);
    const same = Object.keys(current).length === wanted.size && [...wanted].every(([id, fp]) => current[id] === fp);
    if (same) return { changed: false, count: wanted.size };
    const tx = this.redis.multi().del(this.keys.cameras);
    if (wanted.size > 0) tx.hset(this.keys.cameras, Object.fromEntries(wanted));
    await tx.incr(this.keys.camerasVersion).exec();
    return { changed: true, count: wanted.size };
  }

  /** id → fingerprint of every registered camera; re-read only when `version` (from the heartbeat) moved. */
  async load(version: number): Promise<ReadonlyMap<string, string>> {
    if (version === this.version) return this.registered;
    const raw = await this.redis.hgetall(this.keys.cameras);
    this.registered = new Map(Object.entries(raw));
    this.version = version;
    return this.registered;
  }
}
