import type { Db } from './database.js';

/** What the audit log records. Free-form strings would let a typo hide an action from a filter. */
export const AUDIT_ACTIONS = [
  'login.success',
  'login.failure',
  'login.locked',
  'logout',
  'session.expired',
  'password.change',
  'user.create',
  'user.disable',
  'user.enable',
  'user.delete',
  'user.role',
  'user.password_reset',
  'event.confirm',
  'event.reject',
  'event.dispatch',
  'event.close',
  'config.overlay',
  'export',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];
export const AUDIT_OUTCOMES = ['ok', 'denied', 'failed'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

export interface AuditEntry {
  id: number;
  at: number;
  actorId: number | null;
  actor: string;
  ip: string | null;
  action: AuditAction;
  target: string | null;
  outcome: AuditOutcome;
  detail: Record<string, unknown> | null;
}

export interface AuditRecord {
  actorId?: number | null;
  actor: string;
  ip?: string | null;
  action: AuditAction;
  target?: string | null;
  outcome?: AuditOutcome;
  detail?: Record<string, unknown>;
}

export interface AuditQuery {
  actor?: string;
  action?: AuditAction[];
  target?: string;
  outcome?: AuditOutcome;
  from?: number;
  to?: number;
  limit: number;
  offset: number;
}

interface Row {
  id: number;
  at: number;
  actor_id: number | null;
  actor: string;
  ip: string | null;
  action: AuditAction;
  target: string | null;
  outcome: AuditOutcome;
  detail: string | null;
}

/** The append-only audit table (schema and its triggers in database.ts). */
export class AuditStore {
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  record(r: AuditRecord): void {
    this.db
      .prepare('INSERT INTO audit_log (at, actor_id, actor, ip, action, target, outcome, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(this.now(), r.actorId ?? null, r.actor.slice(0, 200), r.ip ?? null, r.action, r.target ?? null, r.outcome ?? 'ok', r.detail ? JSON.stringify(r.detail) : null);
  }

  /** Newest first. */
  list(q: AuditQuery): { total: number; items: AuditEntry[] } {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.actor !== undefined) (where.push('actor = ?'), args.push(q.actor));
    if (q.target !== undefined) (where.push('target = ?'), args.push(q.target));
    if (q.outcome !== undefined) (where.push('outcome = ?'), args.push(q.outcome));
    if (q.action?.length) (where.push(`action IN (${q.action.map(() => '?').join(', ')})`), args.push(...q.action));
    if (q.from !== undefined) (where.push('at >= ?'), args.push(q.from));
    if (q.to !== undefined) (where.push('at <= ?'), args.push(q.to));
    const sql = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = (this.db.prepare(`SELECT count(*) AS n FROM audit_log ${sql}`).get(...args) as { n: number }).n;
    const rows = this.db.prepare(`SELECT * FROM audit_log ${sql} ORDER BY at DESC, id DESC LIMIT ? OFFSET ?`).all(...args, q.limit, q.offset) as Row[];
    return {
      total,
      items: rows.map((r) => ({
        id: r.id,
        at: r.at,
        actorId: r.actor_id,
        actor: r.actor,
        ip: r.ip,
        action: r.action,
        target: r.target,
        outcome: r.outcome,
        detail: r.detail ? (JSON.parse(r.detail) as Record<string, unknown>) : null,
      })),
    };
  }

  /**
   * Retention: deletes entries older than `days` (never fewer than 30: the table's trigger refuses younger
   * rows). Returns how many went.
   */
  prune(days: number): number {
    const keep = Math.max(30, days);
    // The trigger compares with SQLite's clock; stay a minute clear of its floor.
    const cutoff = Math.min(this.now(), Date.now()) - keep * 86_400_000 - 60_000;
    return this.db.prepare('DELETE FROM audit_log WHERE at < ?').run(cutoff).changes;
  }
}
