import { backoffDelay, resolveRetry, type RetryPolicy } from './backoff.js';
import { silentLog, type Log } from '../log/log.js';
import { checkMessage } from './message.js';
import type { DispatchHandler, DispatchQueue, QueueOptions } from './queue.js';
import type { DispatchMessage } from '../contracts/dispatch-message.js';
import { openDb, queueFile, type Db, type Stmt } from './sqlite.js';

export interface EmbeddedQueueOptions extends QueueOptions {
  /** Longest sleep between looks at the table; a publish in this process wakes the consumer at once. Default 1 s. */
  pollMs?: number;
  synchronous?: 'FULL' | 'NORMAL';
}

export const DEFAULT_RETENTION_MS = 7 * 24 * 3600_000;
const PRUNE_EVERY_MS = 3600_000;

interface JobRow {
  seq: number;
  job_id: string;
  payload: string;
  attempts: number;
}

// Per-event order: a message is due only when no earlier message of the same event is still pending, so a
// retried `opened` is never overtaken by its `ended` — without blocking other events behind a failing one.
const HEAD_OF_EVENT = `NOT EXISTS (SELECT 1 FROM jobs p WHERE p.event_id = j.event_id AND p.status = 'pending' AND p.seq < j.seq)`;

/**
 * Durable queue in one SQLite file, for a single Patrol process without Redis.
 *
 * - publish: INSERT OR IGNORE keyed by jobId, committed (fsync) before it resolves; a jobId seen within the
 *   retention period — pending or already done — is ignored, so retries and replays never duplicate.
 * - consume: one handler at a time, oldest due message first. Ack (status=done) only after the handler
 *   resolves; a throw schedules a retry with exponential backoff; after `retry.attempts` deliveries the row
 *   becomes `failed` (kept, like BullMQ's removeOnFail:false, for inspection and manual requeue).
 * - At-least-once: a crash after the handler succeeded but before the ack commits redelivers the message on
 *   restart. Consumers must be idempotent on jobId / event id (the event store upserts by event id).
 */
export class EmbeddedDispatchQueue implements DispatchQueue {
  readonly kind = 'embedded' as const;
  readonly file: string;
  private readonly db: Db;
  private readonly retry: RetryPolicy;
  private readonly retentionMs: number;
  private readonly pollMs: number;
  private readonly logger: Log;
  private readonly pruneTimer: NodeJS.Timeout;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private closed = false;

  private readonly stmt: {
    insert: Stmt;
    nextDue: Stmt;
    nextWake: Stmt;
    claim: Stmt;
    ack: Stmt;
    retry: Stmt;
    fail: Stmt;
    depth: Stmt;
    prune: Stmt;
  };

  constructor(opts: EmbeddedQueueOptions) {
    this.file = queueFile(opts.storageDir, opts.name);
    this.retry = resolveRetry(opts.retry);
    this.retentionMs = opts.retentionMs ?? DEFAULT_RETENTION_MS;
    this.pollMs = opts.pollMs ?? 1_000;
    this.logger = opts.logger ?? silentLog;
    this.db = openDb(this.file, opts.synchronous);
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS jobs (
        seq        INTEGER PRIMARY KEY AUTOINCREMENT,
        job_id     TEXT    NOT NULL UNIQUE,
        event_id   TEXT    NOT NULL,
        kind       TEXT    NOT NULL,
        payload    TEXT    NOT NULL,
        status     TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
        attempts   INTEGER NOT NULL DEFAULT 0,
        next_at    INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        done_at    INTEGER,
        last_error TEXT
      );
      CREATE INDEX IF NOT EXISTS jobs_due   ON jobs (status, next_at);
      CREATE INDEX IF NOT EXISTS jobs_event ON jobs (event_id, status, seq);
      CREATE INDEX IF NOT EXISTS jobs_done  ON jobs (status, done_at);
    `);
    this.stmt = {
      insert: this.db.prepare(
        `INSERT OR IGNORE INTO jobs (job_id, event_id, kind, payload, next_at, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      nextDue: this.db.prepare(
        `SELECT seq, job_id, payload, attempts FROM jobs j WHERE status = 'pending' AND next_at <= ? AND ${HEAD_OF_EVENT} ORDER BY seq LIMIT 1`,
      ),
      nextWake: this.db.prepare(`SELECT MIN(next_at) AS at FROM jobs j WHERE status = 'pending' AND ${HEAD_OF_EVENT}`),
      claim: this.db.prepare(`UPDATE jobs SET attempts = attempts + 1 WHERE seq = ?`),
      ack: this.db.prepare(`UPDATE jobs SET status = 'done', done_at = ?, last_error = NULL WHERE seq = ?`),
      retry: this.db.prepare(`UPDATE jobs SET next_at = ?, last_error = ? WHERE seq = ?`),
      fail: this.db.prepare(`UPDATE jobs SET status = 'failed', done_at = ?, last_error = ? WHERE seq = ?`),
      depth: this.db.prepare(`SELECT COUNT(*) AS n FROM jobs WHERE status = 'pending'`),
      prune: this.db.prepare(`DELETE FROM jobs WHERE status = 'done' AND done_at < ?`),
    };
    this.prune();
    this.pruneTimer = setInterval(() => this.prune(), PRUNE_EVERY_MS);
    this.pruneTimer.unref();
  }

  async publish(msg: DispatchMessage): Promise<void> {
    if (this.closed) throw new Error('dispatch queue is closed');
    const m = checkMessage(msg);
    const now = Date.now();
    const { changes } = this.stmt.insert.run(m.jobId, m.event.id, m.kind, JSON.stringify(m), now, now);
    if (changes === 0) this.logger.debug({ jobId: m.jobId }, 'dispatch message already queued or delivered; ignored');
    this.wake?.();
  }

  async consume(handler: DispatchHandler): Promise<void> {
    if (this.closed) throw new Error('dispatch queue is closed');
    if (this.loop) throw new Error('consume() was already called on this queue; one handler per queue');
    this.loop = this.run(handler);
  }

  async depth(): Promise<number> {
    return (this.stmt.depth.get() as { n: number }).n;
  }

  /** Forgets acknowledged jobIds older than the retention period; returns how many. Runs hourly by itself. */
  prune(now = Date.now()): number {
    if (this.closed) return 0;
    return this.stmt.prune.run(now - this.retentionMs).changes;
  }

  /** Stops consuming after the message in hand is handled and acknowledged, then closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.pruneTimer);
    this.wake?.();
    await this.loop;
    this.db.close();
  }

  private async run(handler: DispatchHandler): Promise<void> {
    while (!this.closed) {
      try {
        const row = this.stmt.nextDue.get(Date.now()) as JobRow | undefined;
        if (!row) {
          await this.sleep(this.untilNextDue());
          continue;
        }
        this.stmt.claim.run(row.seq);
        await this.deliver(row, row.attempts + 1, handler);
        // Let timers and I/O run between messages even when the handler resolves synchronously.
        await new Promise<void>((resolve) => setImmediate(resolve));
      } catch (err) {
        // The database itself failed (disk full, I/O error): keep the consumer alive and try again later;
        // nothing is lost, an unacknowledged message is simply delivered again.
        this.logger.error({ err: err instanceof Error ? err.message : String(err), file: this.file }, 'dispatch queue database error');
        await this.sleep(this.pollMs);
      }
    }
  }

  private async deliver(row: JobRow, attempt: number, handler: DispatchHandler): Promise<void> {
    try {
      await handler(JSON.parse(row.payload) as DispatchMessage);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      if (attempt >= this.retry.attempts) {
        this.stmt.fail.run(Date.now(), reason, row.seq);
        this.logger.error({ jobId: row.job_id, attempts: attempt, err: reason }, 'dispatch message failed on every attempt; kept as failed');
      } else {
        const delay = backoffDelay(attempt, this.retry);
        this.stmt.retry.run(Date.now() + delay, reason, row.seq);
        this.logger.warn({ jobId: row.job_id, attempt, retryInMs: delay, err: reason }, 'dispatch handler failed; will retry');
      }
      return;
    }
    this.stmt.ack.run(Date.now(), row.seq);
  }

  /** Milliseconds until the earliest pending message that is not waiting behind an earlier one of its event. */
  private untilNextDue(): number {
    const { at } = this.stmt.nextWake.get() as { at: number | null };
    if (at === null) return this.pollMs;
    return Math.min(Math.max(at - Date.now(), 1), this.pollMs);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}
