import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BullmqDispatchQueue } from '../../src/dispatch/bullmq-queue.js';
import { createDispatchQueue } from '../../src/dispatch/create-queue.js';
import type { DispatchMessage } from '../../src/contracts/dispatch-message.js';
import type { DispatchQueue } from '../../src/dispatch/queue.js';
import { resolveFfmpeg } from '../../src/decode/ffmpeg-path.js';
import { fixtureVideo } from '../../support/fixture-video.js';
import { binsAsDumpingManifest } from '../support/test-model.js';
import { writeFaultFigures } from './support/figures.js';
import { PipelineHarness, harnessConfig, sleep, until } from './support/pipeline-harness.js';
import { AofRedis } from './support/redis-aof.js';

/**
 * Redis outage while the pipeline produces events (issue 8): six live cameras raise and end dumping events every
 * 20 s each through the production BullMQ queue; redis-server (AOF, fsync always, as in production) is
 * SIGKILLed for PATROL_OUTAGE_SEC (60 s in `npm run test:faults`) and restarted on the same port and files.
 * A separate consumer (what `patrol serve` runs) counts deliveries by jobId.
 * Expected: publishes never block the analysis, everything spools to local disk and is delivered once Redis
 * is back — lost = 0, duplicates = 0.
 */

const OUTAGE_SEC = Number(process.env.PATROL_OUTAGE_SEC ?? 60);
const CAMERAS = 6;

/** A queue that records what the pipeline published (resolved = durable, in Redis or in the spool). */
class RecordingQueue implements DispatchQueue {
  readonly kind: DispatchQueue['kind'];
  readonly published: { jobId: string; at: number; ms: number; kind: DispatchMessage['kind'] }[] = [];
  constructor(readonly inner: BullmqDispatchQueue) {
    this.kind = inner.kind;
  }
  async publish(msg: DispatchMessage): Promise<void> {
    const t0 = performance.now();
    await this.inner.publish(msg);
    this.published.push({ jobId: msg.jobId, at: Date.now(), ms: performance.now() - t0, kind: msg.kind });
  }
  consume(): Promise<void> {
    throw new Error('the producer side does not consume');
  }
  depth(): Promise<number> {
    return this.inner.depth();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/**
 * A clip that loops "no bin for 8 s, a bin for 12 s" (segments of the empty_day and bin_present fixtures, encoded
 * alike and cut on their 2 s keyframes): with patrol-det's bins counted as dumping (test-model.ts) each loop
 * opens one event and ends it. `binFirst` shifts the phase by half a loop.
 */
function blinkingBin(dir: string, binFirst: boolean): string {
  const list = join(dir, `list-${binFirst ? 'b' : 'a'}.txt`);
  const empty = `file '${fixtureVideo('empty_day')}'\ninpoint 0\noutpoint 8\n`;
  const bin = `file '${fixtureVideo('bin_present')}'\ninpoint 40\noutpoint 52\n`;
  writeFileSync(list, binFirst ? bin + empty : empty + bin);
  const out = join(dir, `blink-${binFirst ? 'b' : 'a'}.mp4`);
  execFileSync(resolveFfmpeg().path, ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'concat', '-safe', '0', '-i', list, '-c', 'copy', out]);
  return out;
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
}

describe(`Redis down for ${OUTAGE_SEC} s while the pipeline raises events`, () => {
  let dir: string;
  let redis: AofRedis;
  let consumer: BullmqDispatchQueue | undefined;
  let h: PipelineHarness | undefined;
  let clips: string[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'patrol-redis-outage-'));
    clips = [blinkingBin(dir, false), blinkingBin(dir, true)];
    redis = await AofRedis.start();
  }, 300_000);

  afterAll(async () => {
    await h?.stop().catch(() => undefined);
    await consumer?.close();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('spools every event during the outage and delivers each exactly once afterwards: lost = 0, duplicates = 0', async () => {
    const config = harnessConfig(
      Array.from({ length: CAMERAS }, (_, i) => ({ id: `cam-${i + 1}`, url: `file://${clips[i % 2]}`, loop: true, violations: ['dumping' as const], scene: false })),
      join(dir, 'producer'),
      { rules: { dumping: { dwellSec: 2, hits: 2, window: 3, endAfterSec: 3, cooldownSec: 0 } }, queue: { redisUrl: redis.url, name: 'patrol-events' } },
      binsAsDumpingManifest(),
    );
    // The consumer: another process in production (`patrol serve`), with its own storage.
    consumer = new BullmqDispatchQueue({ redisUrl: redis.url, name: 'patrol-events', storageDir: join(dir, 'consumer') });
    const deliveries = new Map<string, number>();
    const deliveredAt = new Map<string, number>();
    await consumer.consume(async (m) => {
      deliveries.set(m.jobId, (deliveries.get(m.jobId) ?? 0) + 1);
      if (!deliveredAt.has(m.jobId)) deliveredAt.set(m.jobId, Date.now());
    });

    const inner = createDispatchQueue({ redisUrl: redis.url, name: 'patrol-events', storageDir: join(dir, 'producer') }) as BullmqDispatchQueue;
    const queue = new RecordingQueue(inner);
    h = await PipelineHarness.start(config, { queue });
    const analyzed = () => h!.pipeline.loop.framesAnalyzed;

    // Before: events flow end to end.
    await until('8 messages delivered before the outage', () => deliveries.size >= 8, 180_000, 250);
    await until('everything published so far delivered', () => queue.published.every((p) => deliveries.has(p.jobId)), 30_000, 100);

    // Outage.
    const downAt = Date.now();
    const publishedBefore = queue.published.length;
    const framesBefore = analyzed();
    await redis.down();
    let maxSpooled = 0;
    while (Date.now() - downAt < OUTAGE_SEC * 1000) {
      maxSpooled = Math.max(maxSpooled, inner.spooled());
      await sleep(200);
    }
    maxSpooled = Math.max(maxSpooled, inner.spooled());
    const duringOutage = queue.published.filter((p) => p.at >= downAt);
    const framesDuring = analyzed() - framesBefore;
    const upAt = Date.now();
    await redis.up();

    // After: the pipeline goes on for a while, then stops (its last publishes included).
    await sleep(20_000);
    await h.pipeline.stop();
    const stoppedAt = Date.now();
    const all = queue.published.map((p) => p.jobId);
    await until('every published message delivered', () => all.every((id) => deliveries.has(id)), 120_000, 100);
    const drained = Math.max(...duringOutage.map((p) => deliveredAt.get(p.jobId) ?? Number.NaN)) - upAt;
    await until('producer spool empty', () => inner.spooled() === 0, 60_000);
    await sleep(3_000); // a late redelivery (a stalled job coming back) would show up here

    const lost = all.filter((id) => !deliveries.has(id)).length;
    const duplicates = [...deliveries.values()].reduce((n, c) => n + c - 1, 0);
    const unexpected = [...deliveries.keys()].filter((id) => !all.includes(id)).length;
    const latency = duringOutage.map((p) => p.ms);
    const figures = {
      outageSec: (upAt - downAt) / 1000,
      cameras: CAMERAS,
      published: { total: all.length, beforeOutage: publishedBefore, duringOutage: duringOutage.length, kinds: countBy(queue.published.map((p) => p.kind)) },
      maxSpooled,
      publishLatencyDuringOutageMs: { p50: quantile(latency, 0.5), p99: quantile(latency, 0.99), max: Math.max(0, ...latency) },
      framesAnalyzedDuringOutage: framesDuring,
      lastOutageMessageDeliveredAfterRedisUpMs: drained,
      delivered: deliveries.size,
      lost,
      duplicates,
      unexpected,
      totalSec: (stoppedAt - downAt) / 1000,
    };
    writeFaultFigures('redis-outage-pipeline', figures);
    console.log(`[redis-outage-pipeline] ${JSON.stringify(figures)}`);

    // About one message per camera per 20 s loop, at least: 55 in a 60 s outage here.
    expect(duringOutage.length, 'messages published during the outage').toBeGreaterThanOrEqual(Math.max(1, Math.floor(OUTAGE_SEC / 10)));
    expect(maxSpooled).toBeGreaterThanOrEqual(duringOutage.length > 0 ? 1 : 0);
    // The analysis never waited for Redis: about one frame per camera per 2 s went on during the outage.
    expect(framesDuring).toBeGreaterThan(((OUTAGE_SEC / 2) * CAMERAS) / 2);
    expect(Math.max(0, ...latency)).toBeLessThan(2_500);
    expect(lost).toBe(0);
    expect(duplicates).toBe(0);
    expect(unexpected).toBe(0);
  }, (OUTAGE_SEC + 400) * 1000);
});

function countBy(xs: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
}
