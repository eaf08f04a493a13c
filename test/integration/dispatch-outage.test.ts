import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BullmqDispatchQueue, type BullmqQueueOptions } from '../../src/dispatch/bullmq-queue.js';
import { toBullJobId } from '../../src/dispatch/job-id.js';
import type { Log } from '../../src/log/log.js';
import { jobIdFor } from '../../src/dispatch/queue.js';
import { type DispatchMessage } from '../../src/contracts/dispatch-message.js';
import { TestRedis } from '../../support/redis.js';

/** Outage length; the normal suite keeps it short, a fault suite sets PATROL_OUTAGE_SEC=60. */
const OUTAGE_SEC = Number(process.env.PATROL_OUTAGE_SEC ?? 5);
/** A publish that takes longer than this during an outage counts as a hang. Generous for a loaded 2-core box. */
const PUBLISH_HANG_MS = 1_500;

async function until(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function message(i: number): DispatchMessage {
  const id = `cam7:z2:burning:${1_700_000_000_000 + i}`; // ':' on purpose: BullMQ ids must be sanitized
  return {
    jobId: jobIdFor('opened', id),
    kind: 'opened',
    publishedAt: Date.now(),
    event: {
      id,
      cameraId: 'cam7',
      zoneId: 'z2',
      type: 'burning',
      startedAt: i,
      confirmedAt: i,
      lastSeenAt: i,
      endedAt: null,
      peakScore: 0.7,
      bestBoxes: [],
      model: 'yolox_nano',
      evidence: { sha256: {} },
    },
  };
}

/** Counts deliveries per jobId: lost = published but never delivered, duplicates = delivered more than once. */
function tally() {
  const seen = new Map<string, number>();
  return {
    handler: async (m: DispatchMessage) => void seen.set(m.jobId, (seen.get(m.jobId) ?? 0) + 1),
    delivered: (ids: string[]) => ids.filter((id) => seen.has(id)).length,
    lost: (ids: string[]) => ids.filter((id) => !seen.has(id)).length,
    duplicates: () => [...seen.values()].reduce((n, c) => n + c - 1, 0),
    total: () => seen.size,
  };
}

function recordingLogger() {
  const lines: { level: string; obj: Record<string, unknown>; msg: string }[] = [];
  const at = (level: string) => (obj: object, msg?: string) => void lines.push({ level, obj: obj as Record<string, unknown>, msg: msg ?? '' });
  const logger: Log = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { lines, logger };
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
}

describe('BullMQ dispatch through a Redis outage', () => {
  let redis: TestRedis;
  let dir: string;
  // TestRedis.up() on a running server would start a second one on the same port; track the state here.
  let redisDown = false;
  const down = async () => {
    await redis.down();
    redisDown = true;
  };
  const up = async () => {
    await redis.up();
    redisDown = false;
  };
  const queues: BullmqDispatchQueue[] = [];
  const open = (name: string, logger?: Log, extra: Partial<BullmqQueueOptions> = {}) => {
    const q = new BullmqDispatchQueue({ redisUrl: redis.url, name, storageDir: dir, logger, retry: { attempts: 5, backoffMs: 50, maxBackoffMs: 1_000 }, ...extra });
    queues.push(q);
    return q;
  };

  beforeAll(async () => {
    redis = await TestRedis.start();
    dir = mkdtempSync(join(tmpdir(), 'patrol-outage-'));
  });
  afterEach(async () => {
    await Promise.all(queues.splice(0).map((q) => q.close()));
    if (redisDown) await up(); // a failed test may leave it down
  });
  afterAll(async () => {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    `spools during a ${OUTAGE_SEC} s outage and delivers everything once afterwards: lost = 0, duplicates = 0`,
    async () => {
      const { lines, logger } = recordingLogger();
      const q = open('outage', logger);
      const t = tally();
      await q.consume(t.handler); // runs throughout: before, during and after the outage

      const before = Array.from({ length: 50 }, (_, i) => message(i));
      for (const m of before) await q.publish(m);
      // TestRedis runs without persistence, so jobs Redis had accepted but not yet delivered would die with it;
      // that is Redis's durability (AOF in production), not the spool's. Let them be consumed first.
      await until(() => t.delivered(before.map((m) => m.jobId)) === 50, 'the 50 pre-outage messages');

      await down(); // SIGKILL
      const during = Array.from({ length: 100 }, (_, i) => message(1000 + i));
      const latency: number[] = [];
      const gap = (OUTAGE_SEC * 1000) / during.length;
      const outageStart = Date.now();
      for (const m of during) {
        const t0 = performance.now();
        await q.publish(m);
        latency.push(performance.now() - t0);
        await sleep(gap);
      }
      expect(Math.max(...latency)).toBeLessThan(PUBLISH_HANG_MS);
      expect(q.spooled()).toBe(100);
      expect(await q.depth()).toBeGreaterThanOrEqual(100);

      await up(); // same port, empty data set
      const upAt = Date.now();
      const all = [...before, ...during].map((m) => m.jobId);
      await until(() => t.delivered(all) === all.length, 'every message after Redis returned', 60_000 + OUTAGE_SEC * 1000);
      const drainedMs = Date.now() - upAt;
      await until(async () => (await q.depth()) === 0, 'depth 0');

      expect(t.lost(all)).toBe(0);
      expect(t.duplicates()).toBe(0);
      expect(t.total()).toBe(150);
      expect(q.spooled()).toBe(0);
      // One line when the outage started, one when it ended — not one per reconnect attempt.
      const outageLines = lines.filter((l) => /Redis unreachable|Redis reachable again/.test(l.msg));
      expect(outageLines.map((l) => l.level)).toEqual(['warn', 'info']);
      expect(lines.filter((l) => l.level === 'error')).toEqual([]);
      console.log(
        `[dispatch-outage] outage ${((upAt - outageStart) / 1000).toFixed(1)} s; publish while down p50 ${quantile(latency, 0.5).toFixed(2)} ms, ` +
          `p99 ${quantile(latency, 0.99).toFixed(2)} ms, max ${Math.max(...latency).toFixed(2)} ms; all 100 spooled delivered ${drainedMs} ms after redis-server started; lost 0, duplicates 0`,
      );
    },
    OUTAGE_SEC * 1000 + 120_000,
  );

  it('a queue opened while Redis is down publishes to the spool at once, and delivers after a restart of the process', async () => {
    await down();
    const first = open('down-at-start');
    const msgs = Array.from({ length: 30 }, (_, i) => message(5000 + i));
    const t0 = performance.now();
    for (const m of msgs) await first.publish(m);
    const publishMs = performance.now() - t0;
    expect(publishMs).toBeLessThan(30 * PUBLISH_HANG_MS);
    expect(first.spooled()).toBe(30);
    await first.close(); // the process stops mid-outage; the spool stays on disk
    queues.splice(queues.indexOf(first), 1);

    const second = open('down-at-start');
    expect(second.spooled()).toBe(30);
    const t = tally();
    await second.consume(t.handler);
    await up();
    const ids = msgs.map((m) => m.jobId);
    await until(() => t.delivered(ids) === 30, 'spooled messages after restart');
    await until(async () => (await second.depth()) === 0, 'depth 0');
    expect(t.duplicates()).toBe(0);
    expect(second.spooled()).toBe(0);
  });

  it('a crash between BullMQ accepting a replayed batch and deleting it from the spool gives no duplicate', async () => {
    await down();
    const first = open('crash-mid-replay');
    const msgs = Array.from({ length: 40 }, (_, i) => message(7000 + i));
    for (const m of msgs) await first.publish(m);
    await first.close();
    queues.splice(queues.indexOf(first), 1);
    await up();

    // What the replayer had done when the process died: the first batch is in BullMQ, still in the spool.
    const conn = new Redis(redis.url, { maxRetriesPerRequest: null });
    const raw = new Queue('crash-mid-replay', { connection: conn });
    await raw.addBulk(msgs.slice(0, 25).map((m) => ({ name: m.kind, data: m, opts: { jobId: toBullJobId(m.jobId) } })));
    await raw.close();
    conn.disconnect();

    const second = open('crash-mid-replay');
    const t = tally();
    await second.consume(t.handler);
    const ids = msgs.map((m) => m.jobId);
    await until(() => t.delivered(ids) === 40 && second.spooled() === 0, 'replay after the crash');
    await until(async () => (await second.depth()) === 0, 'depth 0');
    expect(t.duplicates()).toBe(0);
    expect(t.total()).toBe(40);
  });

  it('keeps publish order across the outage: spooled messages replay in order, later ones queue behind them', async () => {
    // Small replay batches so that the replay is still running when Redis is back and new messages arrive.
    const q = open('order', undefined, { replay: { batch: 5 } });
    const got: string[] = [];
    await q.consume(async (m) => void got.push(m.jobId));
    const msgs = Array.from({ length: 330 }, (_, i) => message(9000 + i));
    for (const m of msgs.slice(0, 10)) await q.publish(m);
    await until(() => got.length === 10, 'pre-outage');
    await down();
    for (const m of msgs.slice(10, 310)) await q.publish(m);
    await up();
    // Redis is reachable and the replay has started but not finished: a direct add now would overtake.
    const deadline = Date.now() + 30_000;
    while (q.spooled() === 300 && Date.now() < deadline) await new Promise((r) => setImmediate(r)); // tight: the window is short
    expect(q.spooled()).toBeGreaterThan(0);
    for (const m of msgs.slice(310)) await q.publish(m);
    await until(() => got.length === msgs.length, 'all messages');
    expect(got).toEqual(msgs.map((m) => m.jobId));
  });
});
