import { Queue, Worker, type Job, type JobsOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { backoffDelay, resolveRetry, type RetryPolicy } from './backoff.js';
import { DEFAULT_RETENTION_MS } from './embedded-queue.js';
import { toBullJobId } from './job-id.js';
import { silentLog, type Log } from '../log/log.js';
import { checkMessage } from './message.js';
import { OutageLog, isConnectionError } from './outage.js';
import type { DispatchHandler, DispatchQueue, QueueOptions } from './queue.js';
import type { DispatchMessage } from '../contracts/dispatch-message.js';
import { Spool } from './spool.js';
import { assertQueueName, queueFile } from './sqlite.js';
import { withTimeout } from '../timeout.js';

export interface BullmqQueueOptions extends QueueOptions {
  redisUrl: string;
  /** Handlers running at once, 1–4. Default 1, which keeps delivery in publish order. */
  concurrency?: number;
  /** A publish that Redis has not confirmed within this is spooled instead. Default 2 s. */
  publishTimeoutMs?: number;
  /** Spool replay: messages per BullMQ round trip, and the backoff between attempts while Redis is down. */
  replay?: { batch?: number; minDelayMs?: number; maxDelayMs?: number };
  /** BullMQ key prefix. Default `bull` (what Bull Board and other tools expect). */
  prefix?: string;
  synchronous?: 'FULL' | 'NORMAL';
}

/**
 * BullMQ over ioredis, with a local durable spool for Redis outages.
 *
 * publish: straight to BullMQ (`jobId` = the message's jobId, sanitized) when Redis is up and nothing is
 * spooled; otherwise — Redis down, slow past `publishTimeoutMs`, or older messages still spooled (order) — into
 * the spool, and resolve. Publishes run one at a time so that the choice between the two paths never reorders
 * messages. The replayer drains the spool in order on ioredis 'ready' and on a backoff timer, deleting each
 * batch only after BullMQ accepted it.
 *
 * Dedupe: BullMQ ignores an add whose jobId exists, which only holds while the job key exists — so completed
 * jobs are kept for `retentionMs` (removeOnComplete.age) and failed ones forever (removeOnFail:false).
 * Durability of accepted jobs is Redis's: run it with AOF (`appendonly yes`) in production; a Redis restarted
 * without persistence forgets jobs it had accepted but not yet delivered.
 *
 * Order: FIFO with concurrency 1 and no failures. A retried message goes to BullMQ's delayed set, so a later
 * message (an event's `ended`) can overtake it; consumers must tolerate that (see `supersedes` in order.ts).
 */
export class BullmqDispatchQueue implements DispatchQueue {
  readonly kind = 'bullmq' as const;
  private readonly opts: BullmqQueueOptions;
  private readonly logger: Log;
  private readonly retry: RetryPolicy;
  private readonly producer: Redis;
  private readonly queue: Queue;
  private readonly spool: Spool;
  private readonly outage: OutageLog;
  private readonly publishTimeoutMs: number;
  private readonly replayCfg: { batch: number; backoffMs: number; maxBackoffMs: number };
  private worker: Worker | undefined;
  private workerConn: Redis | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private replaying: Promise<void> | undefined;
  private replayTimer: NodeJS.Timeout | undefined;
  private replayTimerAt = 0;
  private replayFailures = 0;
  private lastRemoteDepth = 0;
  private closed = false;

  constructor(opts: BullmqQueueOptions) {
    assertQueueName(opts.name);
    this.opts = opts;
    this.logger = opts.logger ?? silentLog;
    this.retry = resolveRetry(opts.retry);
    this.publishTimeoutMs = opts.publishTimeoutMs ?? 2_000;
    this.replayCfg = {
      batch: opts.replay?.batch ?? 100,
      backoffMs: opts.replay?.minDelayMs ?? 500,
      maxBackoffMs: opts.replay?.maxDelayMs ?? 30_000,
    };
    const concurrency = opts.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 4) {
      throw new RangeError(`dispatch concurrency must be an integer from 1 to 4, got ${concurrency}`);
    }
    this.outage = new OutageLog(this.logger, opts.redisUrl);
    this.spool = new Spool(queueFile(opts.storageDir, opts.name, '.spool'), opts.synchronous);

    // Producer: fail fast while disconnected (no offline queue, no per-command retries) so publish can spool
    // at once instead of hanging; reconnect in the background every ≤ 2 s.
    this.producer = this.connect({ enableOfflineQueue: false, maxRetriesPerRequest: 0, connectionName: `${opts.name}:producer` });
    this.producer.on('ready', () => {
      this.outage.recovered('producer');
      this.replayFailures = 0;
      this.scheduleReplay(0);
    });

    const retentionSec = Math.max(1, Math.round((opts.retentionMs ?? DEFAULT_RETENTION_MS) / 1000));
    const defaultJobOptions: JobsOptions = {
      attempts: this.retry.attempts,
      backoff: { type: 'exponential', delay: this.retry.backoffMs },
      removeOnComplete: { age: retentionSec },
      removeOnFail: false,
    };
    this.queue = new Queue(opts.name, { connection: this.producer, prefix: opts.prefix, defaultJobOptions });
    this.queue.on('error', (err) => this.onError(err, 'queue'));

    if (this.spool.size() > 0) {
      this.logger.info({ spooled: this.spool.size() }, 'dispatch spool holds messages from an earlier run; replaying when Redis is reachable');
    }
  }

  publish(msg: DispatchMessage): Promise<void> {
    if (this.closed) return Promise.reject(new Error('dispatch queue is closed'));
    let m: DispatchMessage;
    try {
      m = checkMessage(msg);
      toBullJobId(m.jobId);
    } catch (err) {
      return Promise.reject(err);
    }
    const p = this.chain.then(() => this.publishNow(m));
    this.chain = p.catch(() => {});
    return p;
  }

  async consume(handler: DispatchHandler): Promise<void> {
    if (this.closed) throw new Error('dispatch queue is closed');
    if (this.worker) throw new Error('consume() was already called on this queue; one handler per queue');
    // BullMQ requires maxRetriesPerRequest:null on the worker's (blocking) connection.
    this.workerConn = this.connect({ maxRetriesPerRequest: null, connectionName: `${this.opts.name}:worker` });
    const worker = new Worker<DispatchMessage>(this.opts.name, async (job: Job<DispatchMessage>) => handler(job.data), {
      connection: this.workerConn,
      prefix: this.opts.prefix,
      concurrency: this.opts.concurrency ?? 1,
    });
    worker.on('error', (err) => this.onError(err, 'worker'));
    worker.on('failed', (job, err) => {
      if (!job) return;
      const final = job.attemptsMade >= (job.opts.attempts ?? 1);
      const fields = { jobId: job.data.jobId, attempt: job.attemptsMade, err: err.message };
      if (final) this.logger.error(fields, 'dispatch message failed on every attempt; kept in the failed set');
      else this.logger.warn(fields, 'dispatch handler failed; will retry');
    });
    this.worker = worker;
  }

  /** Waiting, delayed and active jobs in Redis plus spooled messages; while Redis is down, the last count seen. */
  async depth(): Promise<number> {
    if (this.producer.status === 'ready') {
      try {
        const c = await withTimeout(this.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized'), this.publishTimeoutMs, 'depth');
        this.lastRemoteDepth = Object.values(c).reduce((a, b) => a + b, 0);
      } catch (err) {
        this.onError(err, 'depth');
      }
    }
    return this.spool.size() + this.lastRemoteDepth;
  }

  /** Messages waiting in the local spool for Redis. */
  spooled(): number {
    return this.spool.size();
  }

  /**
   * Finishes publishes in flight, lets the worker finish the job in hand, and closes everything. Spooled
   * messages stay on disk for the next start.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.replayTimer);
    await this.chain;
    await this.replaying;
    if (this.worker) {
      // A worker whose connection is down may wait for it forever; after a grace period stop without waiting.
      await withTimeout(this.worker.close(), 10_000, 'worker close').catch(() => this.worker?.close(true));
    }
    await withTimeout(this.queue.close(), 5_000, 'queue close').catch(() => {});
    this.producer.disconnect();
    this.workerConn?.disconnect();
    this.spool.close();
  }

  private connect(extra: Partial<RedisOptions>): Redis {
    const conn = new Redis(this.opts.redisUrl, {
      // Reconnect quickly at first, then every 2 s, forever: an outage ends when Redis is back, not after N tries.
      retryStrategy: (times) => Math.min(100 * times, 2_000),
      ...extra,
    });
    conn.on('error', (err) => this.onError(err, String(extra.connectionName)));
    return conn;
  }

  private onError(err: unknown, context: string): void {
    if (isConnectionError(err)) this.outage.failed(err, context);
    else this.logger.error({ err: err instanceof Error ? err.message : String(err), context }, 'dispatch queue error');
  }

  private async publishNow(m: DispatchMessage): Promise<void> {
    // Older messages still spooled: this one queues behind them so that delivery order is publish order.
    if (this.spool.size() > 0 || this.producer.status !== 'ready') return this.toSpool(m);
    try {
      await withTimeout(this.queue.add(m.kind, m, { jobId: toBullJobId(m.jobId) }), this.publishTimeoutMs, 'BullMQ add');
    } catch (err) {
      this.onError(err, 'publish');
      this.toSpool(m);
    }
  }

  private toSpool(m: DispatchMessage): void {
    this.spool.put(m); // throws only if the local disk fails: then publish rejects, it never silently drops
    this.scheduleReplay(this.producer.status === 'ready' ? 0 : backoffDelay(Math.max(1, this.replayFailures), this.replayCfg));
  }

  /** Runs a replay after `delayMs` unless one is due sooner already. */
  private scheduleReplay(delayMs: number): void {
    if (this.closed || this.spool.size() === 0) return;
    const at = Date.now() + delayMs;
    if (this.replayTimer && this.replayTimerAt <= at) return;
    clearTimeout(this.replayTimer);
    this.replayTimerAt = at;
    this.replayTimer = setTimeout(() => {
      this.replayTimer = undefined;
      void this.replay();
    }, delayMs);
  }

  private async replay(): Promise<void> {
    if (this.replaying) return this.replaying;
    this.replaying = this.drain().finally(() => {
      this.replaying = undefined;
    });
    return this.replaying;
  }

  private async drain(): Promise<void> {
    let sent = 0;
    const started = Date.now();
    try {
      while (!this.closed && this.spool.size() > 0) {
        if (this.producer.status !== 'ready') throw new Error(`Connection is closed (ioredis status ${this.producer.status})`);
        const batch = this.spool.peek(this.replayCfg.batch);
        const jobs = batch.map(({ msg }) => ({ name: msg.kind, data: msg, opts: { jobId: toBullJobId(msg.jobId) } }));
        await withTimeout(this.queue.addBulk(jobs), this.publishTimeoutMs * 5, 'BullMQ addBulk');
        // Only now is the batch safe in Redis; a crash before this line replays it and BullMQ ignores the ids.
        this.spool.remove(batch.map((s) => s.seq));
        sent += batch.length;
      }
      this.replayFailures = 0;
      if (sent > 0) this.logger.info({ replayed: sent, ms: Date.now() - started }, 'dispatch spool replayed to Redis');
    } catch (err) {
      this.replayFailures++;
      this.onError(err, 'replay');
      this.scheduleReplay(backoffDelay(this.replayFailures, this.replayCfg));
    }
  }
}
