import type { DispatchMessage } from '../contracts/dispatch-message.js';
import { openDb, type Db, type Stmt } from './sqlite.js';

export interface SpooledMessage {
  seq: number;
  msg: DispatchMessage;
}

/**
 * Where `publish` puts messages while Redis is unreachable: a FIFO in SQLite, in its own file beside the
 * embedded queue's.
 *
 * SQLite rather than an append-only JSONL: the replayer deletes rows one batch at a time as BullMQ accepts
 * them, and a JSONL would need a separate fsync'd read offset plus compaction to do that crash-safely; here the
 * delete is one transaction. A UNIQUE jobId makes spooling idempotent (the same message published twice during
 * an outage is spooled once), and WAL + synchronous=FULL make each put durable before publish resolves.
 * A crash between BullMQ accepting a batch and the delete replays that batch; BullMQ ignores a jobId it
 * already holds, so that gives no duplicate.
 */
export class Spool {
  private readonly db: Db;
  private readonly stmt: { put: Stmt; peek: Stmt; remove: Stmt; count: Stmt };
  private count: number;

  constructor(
    readonly file: string,
    synchronous: 'FULL' | 'NORMAL' = 'FULL',
  ) {
    this.db = openDb(file, synchronous);
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS spool (
        seq        INTEGER PRIMARY KEY AUTOINCREMENT,
        job_id     TEXT    NOT NULL UNIQUE,
        payload    TEXT    NOT NULL,
        spooled_at INTEGER NOT NULL
      );
    `);
    this.stmt = {
      put: this.db.prepare(`INSERT OR IGNORE INTO spool (job_id, payload, spooled_at) VALUES (?, ?, ?)`),
      peek: this.db.prepare(`SELECT seq, payload FROM spool ORDER BY seq LIMIT ?`),
      remove: this.db.prepare(`DELETE FROM spool WHERE seq = ?`),
      count: this.db.prepare(`SELECT COUNT(*) AS n FROM spool`),
    };
    this.count = (this.stmt.count.get() as { n: number }).n;
  }

  /** Appends durably; false when this jobId is already spooled. */
  put(msg: DispatchMessage): boolean {
    const added = this.stmt.put.run(msg.jobId, JSON.stringify(msg), Date.now()).changes > 0;
    if (added) this.count++;
    return added;
  }

  /** The oldest `limit` messages, in the order they were spooled. */
  peek(limit: number): SpooledMessage[] {
    return (this.stmt.peek.all(limit) as { seq: number; payload: string }[]).map((r) => ({
      seq: r.seq,
      msg: JSON.parse(r.payload) as DispatchMessage,
    }));
  }

  /** Drops messages that BullMQ has accepted, in one transaction. */
  remove(seqs: readonly number[]): void {
    const removed = this.db.transaction((list: readonly number[]) => list.reduce((n, seq) => n + this.stmt.remove.run(seq).changes, 0))(seqs);
    this.count -= removed;
  }

  size(): number {
    return this.count;
  }

  close(): void {
    this.db.close();
  }
}
