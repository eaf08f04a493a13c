import type { DispatchMessage } from '../../contracts/dispatch-message.js';
import { openDatabase, type Db } from './database.js';
import { EventStore, type ApplyResult } from './event-store.js';
import { UserStore } from './user-store.js';
import { AuditStore } from './audit-store.js';

export interface ReviewStoreOptions {
  /** The database file name inside the storage dir. */
  file?: string;
  /** Clock, for tests. */
  now?: () => number;
}

/** The review service's durable state: `<storageDir>/review.db` (SQLite, WAL). */
export class ReviewStore {
  readonly events: EventStore;
  readonly users: UserStore;
  readonly audit: AuditStore;

  private constructor(
    private readonly db: Db,
    private readonly now: () => number,
  ) {
    this.events = new EventStore(db, now);
    this.users = new UserStore(db, now);
    this.audit = new AuditStore(db, now);
  }

  static open(storageDir: string, opts: ReviewStoreOptions = {}): ReviewStore {
    return new ReviewStore(openDatabase(storageDir, opts.file), opts.now ?? Date.now);
  }

  /** One dispatch-queue message in, idempotently: `queue.consume(async (msg) => { store.apply(msg); })`. */
  apply(msg: DispatchMessage): ApplyResult {
    return this.events.apply(msg);
  }

  /** Keeps a message that cannot be applied (it fails validation), so it is not lost nor retried forever. */
  deadLetter(payload: unknown, error: string): void {
    const jobId = typeof payload === 'object' && payload !== null && typeof (payload as { jobId?: unknown }).jobId === 'string' ? (payload as { jobId: string }).jobId : null;
    let text: string;
    try {
      text = JSON.stringify(payload) ?? String(payload);
    } catch {
      text = String(payload);
    }
    this.db.prepare('INSERT INTO dead_letters (job_id, received_at, error, payload) VALUES (?, ?, ?, ?)').run(jobId, this.now(), error, text);
  }

  deadLetterCount(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM dead_letters').get() as { n: number }).n;
  }

  close(): void {
    this.db.close();
  }
}

export function openReviewStore(storageDir: string, opts: ReviewStoreOptions = {}): ReviewStore {
  return ReviewStore.open(storageDir, opts);
}
