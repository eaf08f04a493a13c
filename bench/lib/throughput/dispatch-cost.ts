/**
 * Dispatch cost per publish: the embedded SQLite queue and BullMQ on a real redis-server (Node CPU plus the
 * server's, read from /proc), and the publish rate that turns it into a per-camera cost.
 */
import path from 'node:path';
import { Redis } from 'ioredis';
import type { DispatchMessage } from '../../../src/contracts/dispatch-message.js';
import type { EventChange } from '../../../src/contracts/event.js';
import { createDispatchQueue } from '../../../src/dispatch/create-queue.js';
import { jobIdFor, type DispatchQueue } from '../../../src/dispatch/queue.js';
import type { TestRedis } from '../../../support/redis.js';
import { summarize } from '../shared/percentile.js';
import { cpuUsageMs, processCpuMs } from './cpu.js';
import { INTERVAL_SEC, type Plan } from './plan.js';
import type { ThroughputResult } from './result.js';
import type { ScoringCost } from './scoring-cost.js';
import type { StageProgress } from './stage-progress.js';

function messagesFrom(changes: EventChange[], n: number, tag: string): DispatchMessage[] {
  if (changes.length === 0) throw new Error('no events were raised by the recorded detections; cannot build dispatch messages');
  return Array.from({ length: n }, (_, k) => {
    const ch = changes[k % changes.length]!;
    // Unique job ids: every publish is a real insert, none is deduped away.
    return { jobId: `${jobIdFor(ch.kind, ch.event.id, ch.event.lastSeenAt)}.${tag}${k}`, kind: ch.kind, event: ch.event, publishedAt: Date.now() };
  });
}

export async function redisPid(url: string): Promise<number | undefined> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await r.connect();
    const m = /process_id:(\d+)/.exec(await r.info('server'));
    return m ? Number(m[1]) : undefined;
  } finally {
    r.disconnect();
  }
}

export async function measureDispatch(
  plan: Plan,
  changes: EventChange[],
  redis: TestRedis,
  rPid: number | undefined,
  tmp: string,
  progress: StageProgress,
): Promise<NonNullable<ThroughputResult['stages']['dispatch']>> {
  const n = plan.dispatch.messages;
  const run = async (queue: DispatchQueue, tag: string, base: number) => {
    const msgs = messagesFrom(changes, n, tag);
    await queue.publish(messagesFrom(changes, 1, `${tag}warm`)[0]!);
    const walls: number[] = [];
    const redis0 = rPid ? processCpuMs(rPid) : undefined;
    const cpu0 = process.cpuUsage();
    for (let k = 0; k < n; k++) {
      const t = performance.now();
      await queue.publish(msgs[k]!);
      walls.push(performance.now() - t);
      if (k % 50 === 0) progress.update(base + (0.5 * k) / n);
    }
    const node = cpuUsageMs(cpu0);
    const redisCpu = rPid && redis0 !== undefined ? (processCpuMs(rPid) ?? redis0) - redis0 : Number.NaN;
    return { node, redisCpu, walls };
  };
  const embedded = createDispatchQueue({ name: 'bench-embedded', storageDir: path.join(tmp, 'dispatch-embedded') });
  const e = await run(embedded, 'e', 0);
  await embedded.close();
  const bull = createDispatchQueue({ redisUrl: redis.url, name: 'bench-bullmq', storageDir: path.join(tmp, 'dispatch-bullmq') });
  const b = await run(bull, 'b', 0.5);
  await bull.close();
  return {
    embedded: { messages: n, cpuMsPerPublish: e.node / n, wall: summarize(e.walls) },
    bullmq: { messages: n, nodeCpuMsPerPublish: b.node / n, redisCpuMsPerPublish: b.redisCpu / n, cpuMsPerPublish: (b.node + (Number.isFinite(b.redisCpu) ? b.redisCpu : 0)) / n, wall: summarize(b.walls) },
    publishesPerCameraSecond: Number.NaN,
    publishRateSource: '',
  };
}

/**
 * Publishes per camera-second, which turns the per-publish cost into a per-camera one: from the control-plane
 * replay when it published anything, else from the event changes of the scoring replay.
 */
export function setPublishRate(dispatch: NonNullable<ThroughputResult['stages']['dispatch']>, controlPlane: ThroughputResult['controlPlane'], scoring: ScoringCost): void {
  if (controlPlane && controlPlane.publishes > 0) {
    dispatch.publishesPerCameraSecond = controlPlane.publishes / (controlPlane.cameras * controlPlane.windowSec);
    dispatch.publishRateSource = `control-plane replay: ${controlPlane.publishes} publishes from ${controlPlane.cameras} cameras in ${controlPlane.windowSec} s`;
  } else {
    dispatch.publishesPerCameraSecond = scoring.changes.length / (scoring.steps * INTERVAL_SEC);
    dispatch.publishRateSource = `scoring replay: ${scoring.changes.length} changes in ${scoring.steps} camera-frames`;
  }
}
