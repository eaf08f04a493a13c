import type { Redis } from 'ioredis';
import { z } from 'zod';
import { EventSchema, type PatrolEvent } from '../contracts/event.js';
import type { FleetKeys } from './keys.js';
import type { Log } from '../log/log.js';
import { SAVE_FENCED } from './scripts.js';
import { WriteChains } from './write-chains.js';

const Stored = z.object({ cameraId: z.string(), savedAt: z.number(), events: z.array(EventSchema) });

/** Open events outlive every lease; a camera nobody analyzed for a week starts clean. */
const KEEP_MS = 7 * 24 * 3600_000;

/**
 * Open events in Redis, so a camera that moves between workers (a worker died, the fleet rebalanced) keeps
 * its open events: the next owner continues the same event, with the same id, instead of opening a
 * duplicate. Writes are fenced: a worker writes a camera's events only while the camera's lease key still
 * holds its own token (one Lua script), so a worker that lost a camera can never overwrite the new owner.
 *
 * OpenEventsPort is synchronous (the analyzer loads once, when the camera is added, and saves after each
 * published change): the worker `prefetch`es before adding the camera; saves go out in order, one chain per
 * camera, and `flush` waits for them (before a lease is released).
 */
export class RedisOpenEvents {
  private readonly prefetched = new Map<string, PatrolEvent[]>();
  private readonly chains = new WriteChains();
  refused = 0;
  failed = 0;

  constructor(
    private readonly redis: Redis,
    private readonly keys: FleetKeys,
    /** The camera's current lease value (`<worker>:<token>`), or undefined when this worker does not hold it. */
    private readonly leaseValueOf: (cameraId: string) => string | undefined,
    private readonly logger: Log,
  ) {}

  async prefetch(cameraId: string): Promise<PatrolEvent[]> {
    const raw = await this.redis.get(this.keys.openEvents(cameraId));
    let events: PatrolEvent[] = [];
    if (raw) {
      try {
        events = Stored.parse(JSON.parse(raw)).events;
      } catch (err) {
        this.logger.warn({ camera: cameraId, err }, `ignoring unreadable open events of camera ${cameraId} in Redis`);
      }
    }
    this.prefetched.set(cameraId, events);
    return events;
  }

  load(cameraId: string): PatrolEvent[] {
    const events = this.prefetched.get(cameraId) ?? [];
    this.prefetched.delete(cameraId);
    return events;
  }

  save(cameraId: string, open: PatrolEvent[]): void {
    const value = this.leaseValueOf(cameraId);
    if (value === undefined) {
      this.refused++;
      this.logger.warn({ camera: cameraId }, `not saving open events of camera ${cameraId}: this worker no longer holds it`);
      return;
    }
    const json = open.length === 0 ? '' : JSON.stringify({ cameraId, savedAt: Date.now(), events: open });
    const write = async (): Promise<void> => {
      try {
        const ok = (await SAVE_FENCED.run(this.redis, [this.keys.lease(cameraId), this.keys.openEvents(cameraId)], [value, json, KEEP_MS])) === 1;
        if (!ok) {
          this.refused++;
          this.logger.warn({ camera: cameraId, lease: value }, `open events of camera ${cameraId} not saved: its lease moved on (fenced write refused)`);
        }
      } catch (err) {
        // The next save carries the whole list again, so one lost write heals itself.
        this.failed++;
        this.logger.warn({ camera: cameraId, err: err instanceof Error ? err.message : String(err) }, `could not save open events of camera ${cameraId} to Redis`);
      }
    };
    this.chains.add(cameraId, write);
  }

  /** Waits until every save already made for this camera (or all cameras) reached Redis or failed. */
  flush(cameraId?: string): Promise<void> {
    return this.chains.flush(cameraId);
  }
}
