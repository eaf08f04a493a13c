import { DispatchMessageSchema, type DispatchMessage } from '../../contracts/dispatch-message.js';
import { EventSchema, type PatrolEvent } from '../../contracts/event.js';
import { ViolationType } from '../../contracts/violation.js';
import type { Db } from './database.js';
import { mergeEvent } from './merge.js';
import { transition, type ReviewAction, type ReviewStatus, type Role } from './status.js';
import { ACTION_INPUTS, type ActionDetails } from './action-input.js';

/** A pipeline event as the review service sees it: the latest merged snapshot plus its review status. */
export type ReviewEvent = PatrolEvent & {
  status: ReviewStatus;
  /** When the first message for this event reached the store (epoch ms). */
  receivedAt: number;
  /** Last change by the pipeline or a reviewer (epoch ms). */
  updatedAt: number;
};

export interface TimelineEntry {
  at: number;
  /** `pipeline`: a queue message (opened/updated/ended); `review`: a person's action. */
  source: 'pipeline' | 'review';
  action: string;
  actor: string;
  fromStatus?: ReviewStatus;
  toStatus?: ReviewStatus;
  reason?: string;
  note?: string;
  squad?: string;
  gridCell?: string;
}

export const SORT_FIELDS = ['confirmedAt', 'startedAt', 'lastSeenAt', 'peakScore', 'updatedAt'] as const;
export type SortField = (typeof SORT_FIELDS)[number];
const SORT_COLUMNS: Record<SortField, string> = {
  confirmedAt: 'confirmed_at',
  startedAt: 'started_at',
  lastSeenAt: 'last_seen_at',
  peakScore: 'peak_score',
  updatedAt: 'updated_at',
};

export interface EventFilter {
  camera?: string[];
  zone?: string[];
  type?: ViolationType[];
  status?: ReviewStatus[];
  /** Inclusive range over `confirmedAt`, the moment the alarm was raised (epoch ms). */
  from?: number;
  to?: number;
}

export interface EventQuery extends EventFilter {
  limit?: number;
  offset?: number;
  sort?: SortField;
  order?: 'asc' | 'desc';
}

export interface EventPage {
  total: number;
  limit: number;
  offset: number;
  items: ReviewEvent[];
}

export interface EventStats {
  total: number;
  byType: Record<string, number>;
  byStatus: Record<string, number>;
  /** byTypeStatus[type][status] */
  byTypeStatus: Record<string, Record<string, number>>;
}

export interface Actor {
  id: number | null;
  username: string;
  role: Role;
}

export type ApplyResult = { applied: false; event: ReviewEvent | null } | { applied: true; created: boolean; event: ReviewEvent };

export type ActResult =
  | { ok: true; event: ReviewEvent }
  | { ok: false; code: 'not_found' | 'forbidden' | 'invalid_transition' | 'invalid_input'; message: string };

/** What subscribers (the SSE stream) hear after each committed change. */
export interface EventChangeNotice {
  cause: DispatchMessage['kind'] | ReviewAction;
  event: ReviewEvent;
}

interface EventRow {
  id: string;
  status: ReviewStatus;
  data: string;
  received_at: number;
  updated_at: number;
}

function toReviewEvent(row: EventRow): ReviewEvent {
  const event = JSON.parse(row.data) as PatrolEvent;
  return { ...event, status: row.status, receivedAt: row.received_at, updatedAt: row.updated_at };
}

function where(f: EventFilter): { sql: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const inList = (column: string, values: readonly string[] | undefined) => {
    if (!values || values.length === 0) return;
    clauses.push(`${column} IN (${values.map(() => '?').join(', ')})`);
    params.push(...values);
  };
  inList('camera', f.camera);
  inList('zone', f.zone);
  inList('type', f.type);
  inList('status', f.status);
  if (f.from !== undefined) {
    clauses.push('confirmed_at >= ?');
    params.push(f.from);
  }
  if (f.to !== undefined) {
    clauses.push('confirmed_at <= ?');
    params.push(f.to);
  }
  return { sql: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

export const MAX_PAGE = 200;

/**
 * Events, their status history and reviewer actions. Fed by the dispatch-queue consumer through
 * `apply`, changed by reviewers through `act`; both are single SQLite transactions.
 */
export class EventStore {
  /** One listener per open SSE connection; a busy command center has dozens. */
  private readonly listeners = new Set<(notice: EventChangeNotice) => void>();

  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Applies one dispatch-queue message. Idempotent by jobId (a redelivered message changes nothing) and
   * tolerant of order (an `ended` that overtakes its `opened` creates the event; the late `opened` then
   * merges in without un-ending it).
   */
  apply(input: DispatchMessage): ApplyResult {
    const msg = DispatchMessageSchema.parse(input);
    const result = this.db.transaction((): ApplyResult => {
      const seen = this.db.prepare('SELECT 1 FROM messages WHERE job_id = ?').get(msg.jobId);
      if (seen) return { applied: false, event: this.get(msg.event.id) };
      const t = this.now();
      const incoming: PatrolEvent =
        msg.kind === 'ended' && msg.event.endedAt === null ? { ...msg.event, endedAt: msg.event.lastSeenAt } : msg.event;
      const row = this.db.prepare('SELECT id, status, data, received_at, updated_at FROM events WHERE id = ?').get(incoming.id) as EventRow | undefined;
      const merged = row ? mergeEvent(EventSchema.parse(JSON.parse(row.data)), incoming) : incoming;
      this.db
        .prepare(
          `INSERT INTO events (id, camera, zone, type, status, started_at, confirmed_at, last_seen_at, ended_at, peak_score, data, received_at, updated_at)
           VALUES (@id, @camera, @zone, @type, 'new', @startedAt, @confirmedAt, @lastSeenAt, @endedAt, @peakScore, @data, @t, @t)
           ON CONFLICT (id) DO UPDATE SET
             started_at = excluded.started_at, confirmed_at = excluded.confirmed_at, last_seen_at = excluded.last_seen_at,
             ended_at = excluded.ended_at, peak_score = excluded.peak_score, data = excluded.data, updated_at = excluded.updated_at`,
        )
        .run({
          id: merged.id,
          camera: merged.cameraId,
          zone: merged.zoneId,
          type: merged.type,
          startedAt: merged.startedAt,
          confirmedAt: merged.confirmedAt,
          lastSeenAt: merged.lastSeenAt,
          endedAt: merged.endedAt,
          peakScore: merged.peakScore,
          data: JSON.stringify(merged),
          t,
        });
      this.db
        .prepare('INSERT INTO messages (job_id, event_id, kind, published_at, applied_at) VALUES (?, ?, ?, ?, ?)')
        .run(msg.jobId, merged.id, msg.kind, msg.publishedAt, t);
      if (!row) {
        this.db
          .prepare("INSERT INTO status_history (event_id, at, from_status, to_status, actor) VALUES (?, ?, NULL, 'new', 'pipeline')")
          .run(merged.id, t);
      }
      return { applied: true, created: !row, event: this.get(merged.id)! };
    })();
    if (result.applied) this.notify({ cause: msg.kind, event: result.event });
    return result;
  }

  get(id: string): ReviewEvent | null {
    const row = this.db.prepare('SELECT id, status, data, received_at, updated_at FROM events WHERE id = ?').get(id) as EventRow | undefined;
    return row ? toReviewEvent(row) : null;
  }

  list(q: EventQuery = {}): EventPage {
    const limit = Math.min(Math.max(1, Math.trunc(q.limit ?? 50)), MAX_PAGE);
    const offset = Math.max(0, Math.trunc(q.offset ?? 0));
    const column = SORT_COLUMNS[q.sort ?? 'confirmedAt'];
    const order = q.order === 'asc' ? 'ASC' : 'DESC';
    const w = where(q);
    const total = (this.db.prepare(`SELECT count(*) AS n FROM events ${w.sql}`).get(...w.params) as { n: number }).n;
    // id as the tie-breaker keeps pages stable when many events share a timestamp.
    const rows = this.db
      .prepare(`SELECT id, status, data, received_at, updated_at FROM events ${w.sql} ORDER BY ${column} ${order}, id ${order} LIMIT ? OFFSET ?`)
      .all(...w.params, limit, offset) as EventRow[];
    return { total, limit, offset, items: rows.map(toReviewEvent) };
  }

  stats(f: Omit<EventFilter, 'status' | 'type'> = {}): EventStats {
    const w = where(f);
    const rows = this.db.prepare(`SELECT type, status, count(*) AS n FROM events ${w.sql} GROUP BY type, status`).all(...w.params) as {
      type: string;
      status: string;
      n: number;
    }[];
    const stats: EventStats = { total: 0, byType: {}, byStatus: {}, byTypeStatus: {} };
    for (const r of rows) {
      stats.total += r.n;
      stats.byType[r.type] = (stats.byType[r.type] ?? 0) + r.n;
      stats.byStatus[r.status] = (stats.byStatus[r.status] ?? 0) + r.n;
      (stats.byTypeStatus[r.type] ??= {})[r.status] = r.n;
    }
    return stats;
  }

  /** Pipeline messages and reviewer actions for one event, oldest first. */
  timeline(id: string): TimelineEntry[] {
    const messages = this.db.prepare('SELECT kind, published_at FROM messages WHERE event_id = ?').all(id) as { kind: string; published_at: number }[];
    const actions = this.db
      .prepare(
        `SELECT a.at, a.username, a.action, a.reason, a.note, a.squad, a.grid_cell, h.from_status, h.to_status
         FROM actions a LEFT JOIN status_history h ON h.action_id = a.id WHERE a.event_id = ?`,
      )
      .all(id) as {
      at: number;
      username: string;
      action: string;
      reason: string | null;
      note: string | null;
      squad: string | null;
      grid_cell: string | null;
      from_status: ReviewStatus | null;
      to_status: ReviewStatus | null;
    }[];
    const entries: TimelineEntry[] = [
      ...messages.map((m): TimelineEntry => ({ at: m.published_at, source: 'pipeline', action: m.kind, actor: 'pipeline' })),
      ...actions.map((a): TimelineEntry => {
        const e: TimelineEntry = { at: a.at, source: 'review', action: a.action, actor: a.username };
        if (a.from_status) e.fromStatus = a.from_status;
        if (a.to_status) e.toStatus = a.to_status;
        if (a.reason) e.reason = a.reason;
        if (a.note) e.note = a.note;
        if (a.squad) e.squad = a.squad;
        if (a.grid_cell) e.gridCell = a.grid_cell;
        return e;
      }),
    ];
    // Stable: pipeline entries before reviewer entries at the same millisecond.
    return entries.sort((x, y) => x.at - y.at || (x.source === y.source ? 0 : x.source === 'pipeline' ? -1 : 1));
  }

  /**
   * A reviewer's action. The status check and the write are one transaction, so two operators acting on
   * the same event at once cannot both succeed with a stale view (the second gets invalid_transition).
   */
  act(id: string, actor: Actor, action: ReviewAction, input: unknown): ActResult {
    const parsed = ACTION_INPUTS[action].safeParse(input ?? {});
    if (!parsed.success) {
      return { ok: false, code: 'invalid_input', message: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') };
    }
    const details = parsed.data as ActionDetails;
    const result = this.db.transaction((): ActResult => {
      const row = this.db.prepare('SELECT status FROM events WHERE id = ?').get(id) as { status: ReviewStatus } | undefined;
      if (!row) return { ok: false, code: 'not_found', message: `no event ${id}` };
      const tr = transition(row.status, action, actor.role);
      if (!tr.ok) return tr;
      const t = this.now();
      const { lastInsertRowid } = this.db
        .prepare('INSERT INTO actions (event_id, at, user_id, username, action, reason, note, squad, grid_cell) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(id, t, actor.id, actor.username, action, details.reason ?? null, details.note || null, details.squad ?? null, details.gridCell ?? null);
      this.db
        .prepare('INSERT INTO status_history (event_id, at, from_status, to_status, actor, action_id) VALUES (?, ?, ?, ?, ?, ?)')
        .run(id, t, tr.from, tr.to, actor.username, lastInsertRowid);
      this.db.prepare('UPDATE events SET status = ?, updated_at = ? WHERE id = ?').run(tr.to, t, id);
      return { ok: true, event: this.get(id)! };
    })();
    if (result.ok) this.notify({ cause: action, event: result.event });
    return result;
  }

  /** Subscribes to committed changes; returns the unsubscribe function. */
  onChange(listener: (notice: EventChangeNotice) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** After commit. A failing listener must not fail the write (the queue would redeliver for nothing). */
  private notify(notice: EventChangeNotice): void {
    for (const l of [...this.listeners]) {
      try {
        l(notice);
      } catch {
        // The listener's own problem (e.g. a closed socket); others still hear about the change.
      }
    }
  }
}
