import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDispatchQueue } from '../../src/dispatch/create-queue.js';
import { supersedes } from '../../src/dispatch/order.js';
import { jobIdFor, type DispatchQueue } from '../../src/dispatch/queue.js';
import { type DispatchMessage } from '../../src/contracts/dispatch-message.js';
import type { PatrolEvent } from '../../src/contracts/event.js';
import { TestRedis } from '../../support/redis.js';

/** Polls `cond` until it holds or `timeoutMs` passes (robust on a loaded 2-core machine, unlike fixed sleeps). */
async function until(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function message(kind: DispatchMessage['kind'], eventId: string, over: Partial<PatrolEvent> = {}, seq = 0): DispatchMessage {
  const event: PatrolEvent = {
    id: eventId,
    cameraId: 'cam1',
    zoneId: 'z1',
    type: 'dumping',
    startedAt: 1_000,
    confirmedAt: 2_000,
    lastSeenAt: kind === 'opened' ? 2_000 : 3_000 + seq,
    endedAt: kind === 'ended' ? 9_000 : null,
    peakScore: 0.9,
    bestBoxes: [{ classId: 0, label: 'bag', score: 0.9, box: [0.1, 0.1, 0.2, 0.2], violation: 'dumping' }],
    model: 'yolox_nano',
    evidence: { snapshot: `events/${eventId}.jpg`, sha256: {} },
    ...over,
  };
  return { jobId: jobIdFor(kind, eventId, seq), kind, event, publishedAt: Date.now() };
}

/** A consumer that records what it got; `failFirst` jobIds throw on their first delivery. */
function recorder(failFirst: string[] = []) {
  const got: DispatchMessage[] = [];
  const calls = new Map<string, number>();
  const handler = async (m: DispatchMessage): Promise<void> => {
    const n = (calls.get(m.jobId) ?? 0) + 1;
    calls.set(m.jobId, n);
    if (n === 1 && failFirst.includes(m.jobId)) throw new Error(`induced failure of ${m.jobId}`);
    got.push(m);
  };
  const ids = () => got.map((m) => m.jobId);
  const count = (jobId: string) => ids().filter((id) => id === jobId).length;
  return { got, calls, handler, ids, count };
}

const retry = { attempts: 5, backoffMs: 50, maxBackoffMs: 1_000 };

interface Impl {
  kind: 'embedded' | 'bullmq';
  redisUrl: () => string | undefined;
  setup: () => Promise<void>;
  teardown: () => Promise<void>;
}

let redis: TestRedis | undefined;
const impls: Impl[] = [
  { kind: 'embedded', redisUrl: () => undefined, setup: async () => {}, teardown: async () => {} },
  {
    kind: 'bullmq',
    redisUrl: () => redis!.url,
    setup: async () => {
      redis = await TestRedis.start();
    },
    teardown: async () => {
      await redis?.stop();
    },
  },
];

describe.each(impls)('dispatch queue contract: $kind', (impl) => {
  let dir: string;
  let n = 0;
  const open: DispatchQueue[] = [];

  beforeAll(async () => {
    await impl.setup();
    dir = mkdtempSync(join(tmpdir(), `patrol-dispatch-${impl.kind}-`));
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((q) => q.close()));
  });
  afterAll(async () => {
    await impl.teardown();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A fresh queue name per test, so tests share neither SQLite files nor BullMQ keys. */
  function freshName(): string {
    return `contract-${impl.kind}-${++n}`;
  }
  function openQueue(name: string): DispatchQueue {
    const q = createDispatchQueue({ redisUrl: impl.redisUrl(), name, storageDir: dir, retry });
    open.push(q);
    return q;
  }
  async function closeQueue(q: DispatchQueue): Promise<void> {
    open.splice(open.indexOf(q), 1);
    await q.close();
  }
  /**
   * Publishes a sentinel and waits for it. With one handler at a time and FIFO delivery, anything that would
   * have been delivered (a duplicate) arrives before it — so no fixed sleep is needed to prove a negative.
   */
  async function drainWithSentinel(q: DispatchQueue, rec: ReturnType<typeof recorder>, tag: string): Promise<void> {
    const s = message('opened', `sentinel-${tag}`);
    await q.publish(s);
    await until(() => rec.count(s.jobId) === 1, `sentinel ${tag}`);
  }

  it('has the kind the config asked for', () => {
    expect(openQueue(freshName()).kind).toBe(impl.kind);
  });

  it('publish → consumed exactly once, payload intact', async () => {
    const q = openQueue(freshName());
    const rec = recorder();
    await q.consume(rec.handler);
    const m = message('opened', 'evt-once');
    await q.publish(m);
    await until(() => rec.count(m.jobId) === 1, 'delivery');
    await drainWithSentinel(q, rec, 'once');
    expect(rec.count(m.jobId)).toBe(1);
    expect(rec.got[0]).toEqual(m);
  });

  it('the same jobId published twice, before and after it was consumed → consumed once', async () => {
    const q = openQueue(freshName());
    const rec = recorder();
    const m = message('opened', 'evt-dup');
    await q.publish(m);
    await q.publish({ ...m, publishedAt: m.publishedAt + 1 }); // a retry by the producer
    await q.consume(rec.handler);
    await until(() => rec.count(m.jobId) === 1, 'first delivery');
    await q.publish({ ...m, publishedAt: m.publishedAt + 2 }); // a replay after it was consumed
    await drainWithSentinel(q, rec, 'dup');
    expect(rec.count(m.jobId)).toBe(1);
  });

  it('a handler that throws gets the message again, and it is consumed once', async () => {
    const q = openQueue(freshName());
    const m = message('opened', 'evt-flaky');
    const rec = recorder([m.jobId]);
    await q.consume(rec.handler);
    await q.publish(m);
    await until(() => rec.count(m.jobId) === 1, 'redelivery after a failure');
    await drainWithSentinel(q, rec, 'flaky');
    expect(rec.calls.get(m.jobId)).toBe(2);
    expect(rec.count(m.jobId)).toBe(1);
    await until(async () => (await q.depth()) === 0, 'depth 0');
  });

  it('restart with pending messages: nothing lost, nothing repeated', async () => {
    const name = freshName();
    const first = openQueue(name);
    const rec1 = recorder();
    await first.consume(rec1.handler);
    const delivered = message('opened', 'evt-before-restart');
    await first.publish(delivered);
    await until(() => rec1.count(delivered.jobId) === 1, 'delivery before restart');
    await closeQueue(first);

    // Published while no consumer runs, then the process "restarts".
    const producer = openQueue(name);
    const pending = Array.from({ length: 20 }, (_, i) => message('opened', `evt-pending-${i}`));
    for (const m of pending) await producer.publish(m);
    expect(await producer.depth()).toBe(20);
    await closeQueue(producer);

    const second = openQueue(name);
    expect(await second.depth()).toBe(20);
    const rec2 = recorder();
    await second.consume(rec2.handler);
    await second.publish(delivered); // replayed by a producer that did not know it was delivered
    await until(() => pending.every((m) => rec2.count(m.jobId) === 1), 'all pending after restart');
    await drainWithSentinel(second, rec2, 'restart');
    expect(rec2.ids()).toEqual([...pending.map((m) => m.jobId), 'sentinel-restart']);
    await until(async () => (await second.depth()) === 0, 'depth 0 after restart');
  });

  it('keeps publish order: opened, updated, ended of interleaved events', async () => {
    const q = openQueue(freshName());
    const rec = recorder();
    const sent: DispatchMessage[] = [];
    for (const e of ['a', 'b', 'c']) sent.push(message('opened', `evt-${e}`));
    for (const e of ['a', 'b', 'c']) sent.push(message('updated', `evt-${e}`, {}, 1));
    for (const e of ['c', 'a', 'b']) sent.push(message('ended', `evt-${e}`));
    for (const m of sent) await q.publish(m);
    await q.consume(rec.handler);
    await until(() => rec.got.length === sent.length, 'all messages');
    expect(rec.ids()).toEqual(sent.map((m) => m.jobId));
  });

  it('a retried opened may be overtaken by its ended; the consumer still ends with the ended record', async () => {
    const q = openQueue(freshName());
    const opened = message('opened', 'evt-race');
    const ended = message('ended', 'evt-race');
    const rec = recorder([opened.jobId]);
    let stored: PatrolEvent | undefined;
    await q.consume(async (m) => {
      await rec.handler(m);
      if (supersedes(m.event, stored)) stored = m.event; // what the event store's upsert does
    });
    await q.publish(opened);
    await q.publish(ended);
    await until(() => rec.count(opened.jobId) === 1 && rec.count(ended.jobId) === 1, 'both messages');
    expect(stored?.endedAt).toBe(9_000);
    // The embedded queue holds an event's later messages while an earlier one awaits its retry.
    if (impl.kind === 'embedded') expect(rec.ids()).toEqual([opened.jobId, ended.jobId]);
  });

  it('depth() counts published but unacknowledged messages', async () => {
    const q = openQueue(freshName());
    expect(await q.depth()).toBe(0);
    for (let i = 0; i < 5; i++) await q.publish(message('opened', `evt-depth-${i}`));
    await q.publish(message('opened', 'evt-depth-0')); // duplicate: not counted twice
    expect(await q.depth()).toBe(5);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let seen = 0;
    await q.consume(async () => {
      seen++;
      await gate; // the message in hand is still unacknowledged
    });
    await until(() => seen === 1, 'first delivery');
    expect(await q.depth()).toBe(5);
    release();
    await until(async () => (await q.depth()) === 0, 'depth 0');
  });

  it('rejects a malformed message instead of queueing a poison job', async () => {
    const q = openQueue(freshName());
    await expect(q.publish({ ...message('opened', 'evt-bad'), jobId: '' })).rejects.toThrow(/jobId/);
    await expect(q.publish({ ...message('opened', 'evt-bad'), kind: 'closed' } as unknown as DispatchMessage)).rejects.toThrow(/kind/);
    expect(await q.depth()).toBe(0);
  });

  it('a jobId with ":" and an all-digit jobId work and dedupe', async () => {
    const q = openQueue(freshName());
    const rec = recorder();
    await q.consume(rec.handler);
    const colon = message('opened', 'cam1:z1:stall:1700000000000');
    const digits = { ...message('opened', '12345') };
    for (const m of [colon, digits, colon, digits]) await q.publish(m);
    await drainWithSentinel(q, rec, 'ids');
    expect(rec.ids()).toEqual([colon.jobId, digits.jobId, 'sentinel-ids']);
  });
});
