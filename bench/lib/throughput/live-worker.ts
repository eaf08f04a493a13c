/**
 * The pipeline under test in a process of its own (forked by bench/throughput.ts), so its CPU and memory can
 * be read from /proc without the benchmark's own work mixed in. It runs the production `startPipeline` in live
 * mode on K RTSP cameras and reports, over IPC, every frame's fate:
 *  - arrival (the frame's timestamp: wall clock when its pixels came out of ffmpeg),
 *  - analyzed or replaced in the mailbox, and when its analysis finished — scoring, evidence and the
 *    publish of any event it raised included (the mailbox's `done` is called after all of that),
 *  - for frames that raised an event, when the queue accepted the message.
 *
 * The pipeline exposes neither per-frame completion nor mailbox replacements, so this wraps
 * FrameMailbox.prototype.submit (the same class object pipeline.ts uses) and the dispatch queue. Neither
 * wrapper changes behaviour; each costs a closure and an array push per frame.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigSchema } from '../../../src/config/schema.js';
import { createDispatchQueue } from '../../../src/dispatch/create-queue.js';
import type { DispatchQueue } from '../../../src/dispatch/queue.js';
import type { Frame } from '../../../src/contracts/frame.js';
import { createLogger } from '../../../src/log/logger.js';
import { FrameMailbox } from '../../../src/pipeline/frame-mailbox.js';
import { startPipeline } from '../../../src/pipeline/pipeline.js';

export interface LiveWorkerInput {
  urls: string[];
  manifest: string;
  threads: number;
  intervalSec: number;
  /** The cameras' transport (the plan's live.transport). */
  transport: 'native' | 'ffmpeg';
  /** BullMQ on this Redis; absent: the embedded SQLite queue (the single-box default). */
  redisUrl?: string;
}

export interface FrameRecord {
  cameraId: string;
  /** Frame timestamp = arrival (epoch ms). */
  arrivedAt: number;
  analyzed: boolean;
  /** When the mailbox settled it (analysis done, or replaced). */
  settledAt: number;
}

export interface PublishRecord {
  kind: string;
  /** Arrival of the frame that raised it (confirmedAt / lastSeenAt); absent for `ended`. */
  frameAt?: number;
  publishedAt: number;
}

export type WorkerMessage =
  | { type: 'started'; model: string; batch: number; threads: number; queue: string }
  | { type: 'tick'; live: number; cameras: number; framesAnalyzed: number; states: Record<string, number>; reasons: string[] }
  | { type: 'records'; frames: FrameRecord[]; publishes: PublishRecord[]; loop: { batches: number; framesAnalyzed: number; inferenceMs: number; errors: number }; events: { opened: number; ended: number } }
  | { type: 'error'; message: string };

export type ParentMessage = { type: 'records' } | { type: 'stop' };

async function main(): Promise<void> {
  const input = JSON.parse(process.env.PATROL_BENCH_LIVE ?? '{}') as LiveWorkerInput;
  const send = (m: WorkerMessage) => process.send?.(m);
  const frames: FrameRecord[] = [];
  const publishes: PublishRecord[] = [];

  const submit = FrameMailbox.prototype.submit;
  FrameMailbox.prototype.submit = function (this: FrameMailbox, frame: Frame): Promise<boolean> {
    const p = submit.call(this, frame);
    void p.then((analyzed) => {
      if (!this.isClosed) frames.push({ cameraId: frame.cameraId, arrivedAt: frame.timestamp, analyzed, settledAt: Date.now() });
    });
    return p;
  };

  const storageDir = mkdtempSync(path.join(os.tmpdir(), 'patrol-bench-live-'));
  const logger = createLogger({ level: 'warn', pretty: false, destination: process.stderr });
  const inner = createDispatchQueue({ redisUrl: input.redisUrl, name: 'patrol-events', storageDir, logger });
  const queue: DispatchQueue = {
    kind: inner.kind,
    async publish(msg) {
      await inner.publish(msg);
      const frameAt = msg.kind === 'opened' ? msg.event.confirmedAt : msg.kind === 'updated' ? msg.event.lastSeenAt : undefined;
      publishes.push({ kind: msg.kind, frameAt, publishedAt: Date.now() });
    },
    consume: (h) => inner.consume(h),
    depth: () => inner.depth(),
    close: () => inner.close(),
  };
  const config = ConfigSchema.parse({
    // native is what an rtsp:// camera without a transport gets; ffmpeg is set when the plan asks for that path.
    cameras: input.urls.map((url, k) => ({ id: `cam${String(k + 1).padStart(3, '0')}`, url, intervalSec: input.intervalSec, decode: 'keyframe', ...(input.transport === 'ffmpeg' ? { transport: 'ffmpeg' } : {}) })),
    detector: { manifest: input.manifest, threads: input.threads },
    storage: { dir: storageDir },
    review: { enabled: false },
    log: { level: 'warn' },
  });
  const pipeline = await startPipeline({ config, logger, queue, mode: 'live' });
  send({ type: 'started', model: pipeline.model.name, batch: pipeline.model.batch, threads: pipeline.model.threads, queue: queue.kind });
  // Why cameras are not live (distinct reasons, counted), so a failed step says whether ingest or the server broke.
  const reasons = new Map<string, number>();
  let lastState = new Map<string, string>();
  const tick = setInterval(() => {
    const statuses = pipeline.statuses();
    const states: Record<string, number> = {};
    const now = new Map<string, string>();
    for (const s of statuses) {
      states[s.state] = (states[s.state] ?? 0) + 1;
      now.set(s.cameraId, s.state);
      if ((s.state === 'backoff' || s.state === 'failed') && lastState.get(s.cameraId) !== s.state && s.reason) {
        const r = s.reason.replace(/\d+(\.\d+)?/g, 'N');
        reasons.set(r, (reasons.get(r) ?? 0) + 1);
      }
    }
    lastState = now;
    send({
      type: 'tick',
      live: states.live ?? 0,
      cameras: statuses.length,
      framesAnalyzed: pipeline.loop.framesAnalyzed,
      states,
      reasons: [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([r, n]) => `${n}× ${r}`),
    });
  }, 1000);

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    clearInterval(tick);
    await pipeline.stop();
    await queue.close();
    rmSync(storageDir, { recursive: true, force: true });
    process.disconnect?.();
    process.exit(0);
  };
  process.on('message', (m: ParentMessage) => {
    if (m.type === 'records') {
      const cams = pipeline.cameras();
      send({
        type: 'records',
        frames: frames.splice(0),
        publishes: publishes.splice(0),
        loop: { batches: pipeline.loop.batches, framesAnalyzed: pipeline.loop.framesAnalyzed, inferenceMs: pipeline.loop.inferenceMs, errors: pipeline.loop.errors },
        events: { opened: cams.reduce((n, c) => n + c.opened, 0), ended: cams.reduce((n, c) => n + c.ended, 0) },
      });
    } else if (m.type === 'stop') void stop();
  });
  // The benchmark went away: do not leave ffmpeg processes behind.
  process.on('disconnect', () => void stop());
}

main().catch((err: unknown) => {
  process.send?.({ type: 'error', message: String((err as Error)?.stack ?? err) } satisfies WorkerMessage);
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 200);
});
