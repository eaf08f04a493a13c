import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * A Lua script run atomically by Redis (EVALSHA, falling back to EVAL once after a Redis restart or
 * SCRIPT FLUSH). Every lease decision is one of these: Redis runs a script to the end before it runs
 * anything else, so two workers can never both see a camera free and both take it.
 */
export class LuaScript {
  readonly sha: string;

  constructor(
    readonly name: string,
    readonly source: string,
  ) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: Redis, keys: readonly string[], args: ReadonlyArray<string | number | Buffer>): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.includes('NOSCRIPT')) throw err;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}

/** Redis's own clock in ms: the one clock every worker agrees on (TIME is allowed in scripts since 5.0). */
const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * Heartbeat: keep this worker a member, renew each of its leases whose value is still `<worker>:<token>`
 * (a lease that lapsed or went to another worker is NOT renewed: the token no longer matches), and report
 * the fleet's size.
 *   KEYS: workers zset, worker info key, cameras hash, cameras version, lease keys…
 *   ARGV: workerId, ttlMs, info JSON, lease values… (same order as the lease keys)
 *   → [liveWorkers, registeredCameras, camerasVersion, redisNowMs, renewed1 (1|0), renewed2, …]
 */
export const HEARTBEAT = new LuaScript(
  'heartbeat',
  `${NOW}
local ttl = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('SET', KEYS[2], ARGV[3], 'PX', ttl)
local out = { redis.call('ZCARD', KEYS[1]), redis.call('HLEN', KEYS[3]), tonumber(redis.call('GET', KEYS[4]) or '0'), now }
for i = 5, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[i - 1] then
    redis.call('PEXPIRE', KEYS[i], ttl)
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
return out`,
);

/**
 * Acquire free cameras among the candidates, in the order given, up to this worker's share: SET NX PX
 * semantics (only a camera with no lease key), each with a fresh fencing token from INCR on the camera's
 * fence counter. The share is computed here, atomically with the fleet's size: quota = ceil(registered /
 * live workers), capped by the worker's maxCameras. A worker whose own membership lapsed takes nothing (it
 * may be a process that was paused for longer than a TTL and does not know yet that its leases are gone).
 *   KEYS: cameras hash, workers zset
 *   ARGV: workerId, ttlMs, leases already held, maxCameras (0: no cap), key prefix, candidate camera ids…
 *   → [liveWorkers, registeredCameras, quota, cameraId1, token1, cameraId2, token2, …]
 */
export const ACQUIRE = new LuaScript(
  'acquire',
  `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local workers = redis.call('ZCARD', KEYS[2])
local cameras = redis.call('HLEN', KEYS[1])
local quota = 0
if workers > 0 then quota = math.ceil(cameras / workers) end
local cap = tonumber(ARGV[4])
if cap > 0 and quota > cap then quota = cap end
local out = { workers, cameras, quota }
local member = redis.call('ZSCORE', KEYS[2], ARGV[1])
if not member then return out end
local room = quota - tonumber(ARGV[3])
local taken = 0
for i = 6, #ARGV do
  if taken >= room then break end
  local cam = ARGV[i]
  local lease = ARGV[5] .. ':lease:' .. cam
  if redis.call('HEXISTS', KEYS[1], cam) == 1 and redis.call('EXISTS', lease) == 0 then
    local token = redis.call('INCR', ARGV[5] .. ':fence:' .. cam)
    redis.call('SET', lease, ARGV[1] .. ':' .. token, 'PX', ARGV[2])
    out[#out + 1] = cam
    out[#out + 1] = token
    taken = taken + 1
  end
end
return out`,
);

/** Release a lease only if it is still ours (same worker, same token). KEYS: lease; ARGV: value → 1|0 */
export const RELEASE = new LuaScript(
  'release',
  `if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0`,
);

/** Leave the fleet (graceful shutdown): the others' share grows at once. KEYS: workers, worker info; ARGV: workerId */
export const LEAVE = new LuaScript(
  'leave',
  `redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2])
return 1`,
);

/**
 * Fenced write of a camera's open events: only while the lease still holds this exact token, so a worker
 * that lost the camera (paused, partitioned, slow) can never overwrite what the new owner wrote.
 *   KEYS: lease, value key (open events, scene); ARGV: lease value, value ('' deletes), keepMs → 1 written | 0 refused
 */
export const SAVE_FENCED = new LuaScript(
  'save-fenced',
  `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '' then
  redis.call('DEL', KEYS[2])
else
  redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
end
return 1`,
);
