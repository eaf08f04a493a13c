import type { Redis } from 'ioredis';
import { CameraRuntimeSchema, type CameraRuntimeStatus } from '../contracts/camera-status.js';
import { type CameraStateTracker } from './camera-state.js';
import type { FleetKeys } from './keys.js';
import { parseLeaseValue } from './keys.js';
import { LuaScript } from './scripts.js';

/**
 * Camera state through Redis. Each worker writes `<prefix>:state:<camera>` (JSON, with a TTL) for the
 * cameras it holds, every second for those that changed and every third of the TTL for the rest; a worker
 * that dies stops writing and its entries expire, so `patrol serve` never shows a dead worker's "live".
 * A released camera's entry is deleted only if this worker still wrote it last (the next owner may already
 * have). The serve side reads all cameras' state and lease keys in one MGET per second.
 */
/** The logging this needs (pino's Logger fits). */
interface Log {
  debug(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

const CLEAR_IF_MINE = new LuaScript(
  'state-clear-if-mine',
  `local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local ok, s = pcall(cjson.decode, v)
if ok and s.worker == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`,
);

export class CameraStatePublisher {
  private readonly sent = new Map<string, { json: string; at: number }>();
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(
    private readonly redis: Redis,
    private readonly keys: FleetKeys,
    private readonly tracker: CameraStateTracker,
    private readonly ttlMs: number,
    private readonly log?: Log,
    private readonly now: () => number = Date.now,
  ) {}

  start(everyMs = 1_000): void {
    this.timer ??= setInterval(() => void this.publish(), everyMs);
    this.timer.unref();
  }

  /** Writes what changed (and refreshes what is a third of the TTL old). */
  async publish(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const at = this.now();
      const tx = this.redis.pipeline();
      let n = 0;
      const wrote: Array<[string, string]> = [];
      for (const s of this.tracker.all()) {
        const body = JSON.stringify({ ...s, updatedAt: undefined });
        const last = this.sent.get(s.cameraId);
        if (last && last.json === body && at - last.at < this.ttlMs / 3) continue;
        tx.set(this.keys.state(s.cameraId), JSON.stringify({ ...s, updatedAt: at }), 'PX', this.ttlMs);
        wrote.push([s.cameraId, body]);
        n++;
      }
      if (n === 0) return;
      await tx.exec();
      for (const [id, json] of wrote) this.sent.set(id, { json, at });
    } catch (err) {
      // Redis away: the heartbeat already says so; the next tick retries everything unsent.
      this.log?.debug({ err: (err as Error).message }, 'camera state not published');
    } finally {
      this.busy = false;
    }
  }

  /** The camera left this worker: remove its entry unless another worker already wrote one. */
  async clear(cameraId: string): Promise<void> {
    this.sent.delete(cameraId);
    this.tracker.forget(cameraId);
    await CLEAR_IF_MINE.run(this.redis, [this.keys.state(cameraId)], [this.tracker.worker ?? '']).catch(() => undefined);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    for (const id of this.tracker.cameraIds()) await this.clear(id);
  }
}

/** The serve side: every configured camera's published state, refreshed once a second. */
export class CameraStateReader {
  private latest = new Map<string, CameraRuntimeStatus>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly keys: FleetKeys,
    private readonly cameraIds: readonly string[],
    private readonly log?: Log,
  ) {}

  async start(everyMs = 1_000): Promise<void> {
    await this.refresh();
    this.timer ??= setInterval(() => void this.refresh(), everyMs);
    this.timer.unref();
  }

  get(cameraId: string): CameraRuntimeStatus | undefined {
    return this.latest.get(cameraId);
  }

  async refresh(): Promise<void> {
    if (this.cameraIds.length === 0) return;
    try {
      const values = await this.redis.mget(...this.cameraIds.flatMap((id) => [this.keys.state(id), this.keys.lease(id)]));
      const next = new Map<string, CameraRuntimeStatus>();
      this.cameraIds.forEach((id, i) => {
        const state = values[2 * i];
        const lease = values[2 * i + 1] ? parseLeaseValue(values[2 * i + 1]!) : undefined;
        let s: CameraRuntimeStatus | undefined;
        if (state) {
          const parsed = CameraRuntimeSchema.safeParse(JSON.parse(state));
          if (parsed.success) s = parsed.data;
          else this.log?.warn({ cameraId: id }, 'camera state in Redis does not parse; ignored');
        }
        // Leased, but its worker has not published yet (just started): say who has it.
        if (!s && lease) s = { cameraId: id, state: 'connecting', attempt: 0, worker: lease.workerId };
        if (s) next.set(id, s);
      });
      this.latest = next;
    } catch (err) {
      // Keep the last picture rather than flip every camera to unknown during a Redis blip.
      this.log?.debug({ err: (err as Error).message }, 'camera state not read');
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
