import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { Log } from '../log/log.js';
import type { FleetKeys } from './keys.js';
import { leaseValue } from './keys.js';
import { CameraRegistry } from './registry.js';
import { ACQUIRE, HEARTBEAT, LEAVE, RELEASE } from './scripts.js';

/**
 * starting: leased, the camera is being started; active: analyzed; releasing: being stopped gracefully
 * (rebalance, shutdown, config change) before the lease is released; lost: the lease could not be renewed
 * in time (or went to another worker) — the camera no longer counts as ours.
 */
export type LeaseState = 'starting' | 'active' | 'releasing' | 'lost';
export type StopReason = 'rebalance' | 'unregistered' | 'shutdown' | 'lost' | 'start-failed';

export interface HeldLease {
  readonly cameraId: string;
  readonly token: number;
  /** `<workerId>:<token>`, what the lease key holds while it is ours. */
  readonly value: string;
  state: LeaseState;
  /**
   * Local monotonic ms before which the lease is certainly still ours: the time the last successful
   * acquire/renew was SENT plus the TTL. Redis started the TTL when it ran the script, which is later, so
   * the real expiry is never earlier than this (clock rates assumed equal to well under 1 %).
   */
  validUntil: number;
  acquiredAt: number;
}

export interface LeaseHandler {
  /** Start analyzing the camera; the lease is ours. A rejection releases the lease. */
  start(lease: HeldLease): Promise<void>;
  /** Stop analyzing the camera and flush its state; the lease is released after this resolves. */
  stop(cameraId: string, why: StopReason): Promise<void>;
}

export interface LeaseManagerOptions {
  redis: Redis;
  keys: FleetKeys;
  workerId: string;
  ttlMs: number;
  heartbeatMs: number;
  /** Stop analyzing a camera when less than this is left on its lease. Default: heartbeatMs. */
  marginMs?: number;
  /** How often free cameras are looked for (a dead worker's cameras are taken this soon after they lapse). Default min(1 s, heartbeat). */
  scanMs?: number;
  /** How long a new worker waits after joining before taking cameras, so workers started together see each other. Default: heartbeatMs. */
  settleMs?: number;
  maxCameras?: number;
  /** The cameras this worker can run: id → fingerprint of its config (see registry.ts). */
  runnable: ReadonlyMap<string, string>;
  handler: LeaseHandler;
  logger: Log;
  /** Monotonic ms (injectable for tests). */
  now?: () => number;
  random?: () => number;
}

export interface LeaseStats {
  liveWorkers: number;
  registered: number;
  quota: number;
  acquired: number;
  released: number;
  lost: number;
  heartbeatFailures: number;
  /** Monotonic ms of the last successful heartbeat (0: none yet). */
  lastHeartbeatAt: number;
}

/**
 * Camera leases for one worker. Safety (a camera is never analyzed by two workers at once):
 *  - a lease is granted atomically (Lua: free → SET PX with a new fencing token from INCR), renewed and
 *    released only while the key still holds this worker's exact token;
 *  - the worker admits a frame of a camera only while `now < validUntil − margin`, where validUntil is a
 *    lower bound of the lease's expiry in Redis (see HeldLease.validUntil); a watchdog that does not depend
 *    on Redis answering stops the camera as soon as that margin is reached without a renewal;
 *  - another worker can only get the camera after the key expired (or was released), i.e. after
 *    validUntil; so the old owner's last admitted frame is at least `margin` older than the new owner's first.
 * Side effects are fenced too: the open-events store writes only under the matching token (Lua), and the
 * worker's dispatch queue refuses to publish for a camera once `now ≥ validUntil`.
 */
export class LeaseManager {
  private readonly held = new Map<string, HeldLease>();
  /** One chain of start/stop work per camera, so a camera is never started while it is still stopping. */
  private readonly ops = new Map<string, Promise<void>>();
  private readonly registry: CameraRegistry;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly marginMs: number;
  private readonly scanMs: number;
  private readonly settleMs: number;
  private readonly startedAt = Date.now();
  private registered: ReadonlyMap<string, string> = new Map();
  private lastRenewSent = -Infinity;
  private scanTimer: NodeJS.Timeout | undefined;
  private fenceTimer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private draining = false;
  private closed = false;
  private failing = false;
  private skewWarned = new Set<string>();
  readonly stats: LeaseStats = { liveWorkers: 0, registered: 0, quota: 0, acquired: 0, released: 0, lost: 0, heartbeatFailures: 0, lastHeartbeatAt: 0 };

  constructor(private readonly opts: LeaseManagerOptions) {
    if (opts.heartbeatMs * 2 >= opts.ttlMs) throw new RangeError(`heartbeat (${opts.heartbeatMs} ms) must be less than half the lease TTL (${opts.ttlMs} ms)`);
    this.registry = new CameraRegistry(opts.redis, opts.keys);
    this.now = opts.now ?? (() => performance.now());
    this.random = opts.random ?? Math.random;
    this.marginMs = opts.marginMs ?? opts.heartbeatMs;
    if (this.marginMs >= opts.ttlMs) throw new RangeError('the safety margin must be shorter than the lease TTL');
    this.scanMs = opts.scanMs ?? Math.min(1_000, opts.heartbeatMs);
    this.settleMs = opts.settleMs ?? opts.heartbeatMs;
  }

  get workerId(): string {
    return this.opts.workerId;
  }

  /** Joins the fleet (heartbeat), waits for peers started at the same time to show up, then leases cameras. */
  async start(): Promise<void> {
    await this.heartbeat();
    this.fenceTimer = setInterval(() => this.enforceDeadlines(), Math.max(50, Math.min(250, this.marginMs / 4)));
    const firstScan = setTimeout(() => this.loop(), this.settleMs);
    this.scanTimer = firstScan;
  }

  /** True while frames of this camera may be analyzed here (lease held with more than the margin left). */
  mayAnalyze(cameraId: string): boolean {
    const lease = this.held.get(cameraId);
    return lease !== undefined && lease.state !== 'lost' && this.now() < lease.validUntil - this.marginMs;
  }

  /** True while the camera's lease is certainly still ours in Redis (side effects such as publishing). */
  mayPublish(cameraId: string): boolean {
    const lease = this.held.get(cameraId);
    return lease !== undefined && this.now() < lease.validUntil;
  }

  lease(cameraId: string): HeldLease | undefined {
    return this.held.get(cameraId);
  }

  leases(): HeldLease[] {
    return [...this.held.values()];
  }

  /** Leases that count against the quota (everything not lost). */
  get holding(): number {
    let n = 0;
    for (const l of this.held.values()) if (l.state !== 'lost') n++;
    return n;
  }

  /**
   * Graceful shutdown: take no more cameras, keep renewing while `drain` stops the pipeline (in-flight
   * frames finish, events flush), then release every lease and leave the fleet so the others take over now.
   */
  async close(drain: () => Promise<void>): Promise<void> {
    if (this.closed) return;
    this.draining = true;
    if (this.scanTimer) clearTimeout(this.scanTimer);
    await this.ticking;
    // Renewals continue during the drain (it may outlast a heartbeat).
    const keepAlive = setInterval(() => void this.heartbeat().catch(() => undefined), this.opts.heartbeatMs);
    try {
      await drain();
      await Promise.all([...this.held.keys()].map((id) => this.stopCamera(id, 'shutdown')));
    } finally {
      clearInterval(keepAlive);
      this.closed = true;
      if (this.fenceTimer) clearInterval(this.fenceTimer);
      await LEAVE.run(this.opts.redis, [this.opts.keys.workers, this.opts.keys.worker(this.opts.workerId)], [this.opts.workerId]).catch(() => undefined);
    }
  }

  private loop(): void {
    if (this.draining) return;
    this.ticking = this.tick()
      .catch((err: unknown) => this.onRedisError(err))
      .finally(() => {
        this.ticking = undefined;
        if (!this.draining) this.scanTimer = setTimeout(() => this.loop(), this.scanMs);
      });
  }

  /** One scan: renew when due, follow registry changes, rebalance down to the quota, take free cameras. */
  async tick(): Promise<void> {
    if (this.now() - this.lastRenewSent >= this.opts.heartbeatMs - this.scanMs / 2) await this.heartbeat();
    if (this.draining) return;
    const quota = this.quota();
    this.releaseUnregistered();
    this.rebalance(quota);
    await this.acquire();
  }

  private quota(): number {
    const { liveWorkers, registered } = this.stats;
    const share = liveWorkers > 0 ? Math.ceil(registered / liveWorkers) : 0;
    return this.opts.maxCameras ? Math.min(share, this.opts.maxCameras) : share;
  }

  /** Renews every lease still ours; marks lost the ones whose key no longer holds our token. */
  async heartbeat(): Promise<void> {
    const leases = [...this.held.values()].filter((l) => l.state !== 'lost');
    const { keys, workerId, ttlMs } = this.opts;
    const info = JSON.stringify({ host: hostname(), pid: process.pid, startedAt: this.startedAt, cameras: leases.map((l) => l.cameraId) });
    const sent = this.now();
    this.lastRenewSent = sent;
    const out = (await HEARTBEAT.run(
      this.opts.redis,
      [keys.workers, keys.worker(workerId), keys.cameras, keys.camerasVersion, ...leases.map((l) => keys.lease(l.cameraId))],
      [workerId, ttlMs, info, ...leases.map((l) => l.value)],
    )) as number[];
    this.failing = false;
    this.stats.lastHeartbeatAt = this.now();
    this.stats.liveWorkers = out[0]!;
    this.stats.registered = out[1]!;
    this.registered = await this.registry.load(out[2]!);
    leases.forEach((lease, i) => {
      if (this.held.get(lease.cameraId) !== lease || lease.state === 'lost') return;
      if (out[4 + i] === 1) {
        lease.validUntil = sent + ttlMs;
      } else {
        // Expired or taken over: not ours any more, not even for publishing.
        lease.validUntil = -Infinity;
        this.markLost(lease, 'the lease lapsed or went to another worker');
      }
    });
  }

  private releaseUnregistered(): void {
    for (const lease of this.held.values()) {
      if (lease.state !== 'active') continue;
      const fp = this.registered.get(lease.cameraId);
      if (fp === undefined || fp !== this.opts.runnable.get(lease.cameraId)) {
        this.opts.logger.info({ camera: lease.cameraId }, `camera ${lease.cameraId} left the registry or changed: releasing it`);
        void this.stopCamera(lease.cameraId, 'unregistered');
      }
    }
  }

  /** Over quota (a worker joined): stop the most recently acquired cameras, then release their leases. */
  private rebalance(quota: number): void {
    const active = [...this.held.values()].filter((l) => l.state === 'active' || l.state === 'starting');
    const releasing = [...this.held.values()].filter((l) => l.state === 'releasing').length;
    const excess = active.length + releasing - quota;
    if (excess <= 0 || quota === 0) return;
    const victims = active.sort((a, b) => b.acquiredAt - a.acquiredAt).slice(0, excess);
    if (victims.length === 0) return;
    this.opts.logger.info({ quota, holding: active.length + releasing, releasing: victims.map((l) => l.cameraId), liveWorkers: this.stats.liveWorkers }, `over my share of ${quota} cameras: handing ${victims.length} back`);
    for (const lease of victims) void this.stopCamera(lease.cameraId, 'rebalance');
  }

  private async acquire(): Promise<void> {
    const { keys, workerId, ttlMs } = this.opts;
    const candidates: string[] = [];
    for (const [id, fp] of this.registered) {
      if (this.held.has(id)) continue;
      const mine = this.opts.runnable.get(id);
      if (mine === fp) candidates.push(id);
      else if (!this.skewWarned.has(id)) {
        this.skewWarned.add(id);
        this.opts.logger.warn({ camera: id }, mine === undefined ? `camera ${id} is registered but not in this worker's config: another worker must run it (share one config file)` : `camera ${id} is configured differently on another worker: this one will not run it until both use the same config`);
      }
    }
    // Random order: workers scanning at the same time mostly go after different cameras.
    for (let i = candidates.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [candidates[i], candidates[j]] = [candidates[j]!, candidates[i]!];
    }
    const sent = this.now();
    const out = (await ACQUIRE.run(this.opts.redis, [keys.cameras, keys.workers], [workerId, ttlMs, this.holding, this.opts.maxCameras ?? 0, keys.prefix, ...candidates])) as Array<number | string>;
    this.stats.liveWorkers = Number(out[0]);
    this.stats.registered = Number(out[1]);
    this.stats.quota = Number(out[2]);
    for (let i = 3; i + 1 < out.length; i += 2) {
      const cameraId = String(out[i]);
      const token = Number(out[i + 1]);
      const lease: HeldLease = { cameraId, token, value: leaseValue(workerId, token), state: 'starting', validUntil: sent + ttlMs, acquiredAt: this.now() };
      this.held.set(cameraId, lease);
      this.stats.acquired++;
      this.opts.logger.info({ camera: cameraId, token }, `leased camera ${cameraId} (token ${token})`);
      this.chain(cameraId, async () => {
        if (this.held.get(cameraId) !== lease || lease.state !== 'starting') return;
        try {
          await this.opts.handler.start(lease);
          if (lease.state === 'starting') lease.state = 'active';
        } catch (err) {
          this.opts.logger.error({ camera: cameraId, err }, `could not start camera ${cameraId}; releasing its lease`);
          lease.state = 'releasing';
          await this.finish(lease, 'start-failed');
        }
      });
    }
  }

  /** Stops the camera (if still ours), then releases its lease with our token. */
  private stopCamera(cameraId: string, why: StopReason): Promise<void> {
    const lease = this.held.get(cameraId);
    if (!lease) return Promise.resolve();
    if (lease.state === 'starting' || lease.state === 'active') lease.state = 'releasing';
    return this.chain(cameraId, async () => {
      if (this.held.get(cameraId) !== lease) return;
      await this.finish(lease, why);
    });
  }

  private async finish(lease: HeldLease, why: StopReason): Promise<void> {
    try {
      await this.opts.handler.stop(lease.cameraId, why);
    } catch (err) {
      this.opts.logger.error({ camera: lease.cameraId, err }, `stopping camera ${lease.cameraId} failed`);
    }
    if (this.held.get(lease.cameraId) === lease) this.held.delete(lease.cameraId);
    // From here on nothing of this camera is published by this worker; releasing a lease that is still ours
    // (token-checked) lets the next owner start without waiting for it to lapse.
    lease.validUntil = -Infinity;
    try {
      const released = (await RELEASE.run(this.opts.redis, [this.opts.keys.lease(lease.cameraId)], [lease.value])) === 1;
      if (released) this.stats.released++;
      this.opts.logger.info({ camera: lease.cameraId, token: lease.token, why, released }, `released camera ${lease.cameraId} (${why})`);
    } catch (err) {
      // It lapses by itself after the TTL.
      this.opts.logger.warn({ camera: lease.cameraId, err }, `could not release camera ${lease.cameraId}; it lapses after the TTL`);
    }
  }

  private markLost(lease: HeldLease, why: string): void {
    if (lease.state === 'lost') return;
    const wasReleasing = lease.state === 'releasing';
    lease.state = 'lost';
    this.stats.lost++;
    this.opts.logger.warn({ camera: lease.cameraId, token: lease.token, why }, `lost camera ${lease.cameraId}: ${why}; stopped analyzing it`);
    if (wasReleasing) return; // its stop is already under way and ends with finish()
    this.chain(lease.cameraId, async () => {
      if (this.held.get(lease.cameraId) === lease) await this.finish(lease, 'lost');
    });
  }

  /** The watchdog: independent of Redis answering, a lease near its end stops being used. */
  private enforceDeadlines(): void {
    const now = this.now();
    for (const lease of this.held.values()) {
      if (lease.state === 'lost' || now < lease.validUntil - this.marginMs) continue;
      this.markLost(lease, `no renewal with ${Math.round(this.marginMs)} ms left on the lease (Redis unreachable or too slow)`);
    }
  }

  private chain(cameraId: string, work: () => Promise<void>): Promise<void> {
    const next = (this.ops.get(cameraId) ?? Promise.resolve()).then(work, work);
    this.ops.set(cameraId, next);
    void next.finally(() => {
      if (this.ops.get(cameraId) === next) this.ops.delete(cameraId);
    });
    return next;
  }

  private onRedisError(err: unknown): void {
    this.stats.heartbeatFailures++;
    if (this.failing) return;
    this.failing = true;
    this.opts.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'fleet: Redis did not answer; cameras stop when their leases run short, and are taken again when it is back');
  }
}
