import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Db } from './database.js';
import { hashPassword, verifyPassword } from '../auth/password.js';
import { MAX_PASSWORD_LENGTH, passwordProblem } from '../auth/password-policy.js';
import { confusableWith, normalizeUsername } from '../auth/username.js';
import { ROLES, type Role } from './status.js';

export interface User {
  id: number;
  username: string;
  role: Role;
  createdAt: number;
  disabled: boolean;
}

export const Username = z
  .string()
  .trim()
  .min(2)
  .max(64)
  .regex(/^[\p{L}\p{N}._-]+$/u, 'letters, digits, ".", "_" and "-" only');
/** Long rather than complex: staff pick passphrases; the rest of the policy (password-policy.ts) needs the username. */
export const NewPassword = z.string().min(12, 'at least 12 characters').max(MAX_PASSWORD_LENGTH);
export const NewUserInput = z.object({ username: Username, password: NewPassword, role: z.enum(ROLES) }).strict();
export type NewUserInput = z.infer<typeof NewUserInput>;

interface UserRow {
  id: number;
  username: string;
  role: Role;
  created_at: number;
  disabled: number;
  password_hash: string;
}

const toUser = (r: UserRow): User => ({ id: r.id, username: r.username, role: r.role, createdAt: r.created_at, disabled: r.disabled !== 0 });
const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** A shift, not a day: consoles are shared. Configurable (review.sessionHours). */
export const DEFAULT_SESSION_TTL_MS = 8 * 3600_000;
export const DEFAULT_IDLE_MS = 30 * 60_000;
/** last_seen_at is written at most this often per session (every API call would otherwise be a write). */
const TOUCH_EVERY_MS = 30_000;

/** Users and login sessions. */
export class UserStore {
  private dummyHash: Promise<string> | undefined;

  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM users').get() as { n: number }).n;
  }

  list(): User[] {
    return (this.db.prepare('SELECT * FROM users ORDER BY id').all() as UserRow[]).map(toUser);
  }

  get(id: number): User | null {
    const row = this.db.prepare('SELECT * FROM users WHERE id = ?').get(id) as UserRow | undefined;
    return row ? toUser(row) : null;
  }

  /** The account a typed name means (NFKC, case-folded), or null. */
  findByName(name: string): User | null {
    const row = this.db.prepare('SELECT * FROM users WHERE username = ?').get(normalizeUsername(name)) as UserRow | undefined;
    return row ? toUser(row) : null;
  }

  /**
   * Throws `UserExistsError` when the name is taken (after NFKC and case folding) or looks like a taken
   * one, and `PasswordPolicyError` for a weak password.
   */
  async create(input: NewUserInput): Promise<User> {
    const u = NewUserInput.parse(input);
    const username = normalizeUsername(u.username);
    const problem = passwordProblem(u.password, username);
    if (problem) throw new PasswordPolicyError(problem);
    if (this.findByName(username)) throw new UserExistsError(username);
    const like = confusableWith(username, this.list().map((x) => x.username));
    if (like) throw new UserExistsError(username, like);
    const hash = await hashPassword(u.password);
    try {
      const { lastInsertRowid } = this.db
        .prepare('INSERT INTO users (username, role, password_hash, created_at) VALUES (?, ?, ?, ?)')
        .run(username, u.role, hash, this.now());
      return this.get(Number(lastInsertRowid))!;
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new UserExistsError(username);
      throw err;
    }
  }

  /** Throws `PasswordPolicyError` for a weak password. */
  async setPassword(id: number, password: string): Promise<void> {
    const user = this.get(id);
    if (!user) throw new Error(`no user ${id}`);
    const problem = passwordProblem(password, user.username);
    if (problem) throw new PasswordPolicyError(problem);
    const hash = await hashPassword(password);
    this.db.prepare('UPDATE users SET password_hash = ? WHERE id = ?').run(hash, id);
    // A new password ends every existing session of that user.
    this.db.prepare('DELETE FROM sessions WHERE user_id = ?').run(id);
  }

  /** Disabling ends every session of the user at once. */
  setDisabled(id: number, disabled: boolean): User | null {
    this.db.transaction(() => {
      this.db.prepare('UPDATE users SET disabled = ? WHERE id = ?').run(disabled ? 1 : 0, id);
      if (disabled) this.db.prepare('DELETE FROM sessions WHERE user_id = ?').run(id);
    })();
    return this.get(id);
  }

  /** Takes effect on the user's next request: the role is read with the session every time. */
  setRole(id: number, role: Role): User | null {
    this.db.prepare('UPDATE users SET role = ? WHERE id = ?').run(role, id);
    return this.get(id);
  }

  /** Removes the account and its sessions; its past actions keep the name they were recorded under. */
  delete(id: number): boolean {
    return this.db.transaction(() => {
      this.db.prepare('UPDATE actions SET user_id = NULL WHERE user_id = ?').run(id);
      this.db.prepare('DELETE FROM sessions WHERE user_id = ?').run(id);
      return this.db.prepare('DELETE FROM users WHERE id = ?').run(id).changes > 0;
    })();
  }

  /** Enabled admins other than `exceptId`: the last one may not be disabled, demoted or deleted. */
  otherEnabledAdmins(exceptId: number): number {
    return (this.db.prepare("SELECT count(*) AS n FROM users WHERE role = 'admin' AND disabled = 0 AND id != ?").get(exceptId) as { n: number }).n;
  }

  /** The user when the password matches and the account is enabled; null otherwise (same time either way). */
  async verifyLogin(username: string, password: string): Promise<User | null> {
    const row = this.db.prepare('SELECT * FROM users WHERE username = ?').get(normalizeUsername(username)) as UserRow | undefined;
    // Unknown users cost a full scrypt too, so response time does not reveal which names exist.
    const hash = row?.password_hash ?? (await (this.dummyHash ??= hashPassword(randomBytes(16).toString('hex'))));
    const ok = await verifyPassword(password, hash);
    return ok && row && row.disabled === 0 ? toUser(row) : null;
  }

  /** A new random session token (256 bits); only its hash is stored. */
  createSession(userId: number, ttlMs = DEFAULT_SESSION_TTL_MS): { token: string; expiresAt: number } {
    const token = randomBytes(32).toString('base64url');
    const t = this.now();
    this.db.prepare('DELETE FROM sessions WHERE expires_at <= ?').run(t);
    this.db.prepare('INSERT INTO sessions (id_hash, user_id, created_at, expires_at, last_seen_at) VALUES (?, ?, ?, ?, ?)').run(hashToken(token), userId, t, t + ttlMs, t);
    return { token, expiresAt: t + ttlMs };
  }

  /**
   * The session's user, or null for an unknown, expired, idle (unused for `idleMs`) or disabled one. `touch`
   * counts this as activity; a background re-check (the event stream's heartbeat) must not keep a session alive.
   */
  sessionUser(token: string | undefined, opts: { idleMs?: number; touch?: boolean } = {}): User | null {
    if (!token || token.length > 128) return null;
    const t = this.now();
    const idleMs = opts.idleMs ?? DEFAULT_IDLE_MS;
    const id = hashToken(token);
    const row = this.db
      .prepare('SELECT u.*, s.last_seen_at AS seen FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = ? AND s.expires_at > ? AND s.last_seen_at > ? AND u.disabled = 0')
      .get(id, t, t - idleMs) as (UserRow & { seen: number }) | undefined;
    if (!row) return null;
    if (opts.touch !== false && t - row.seen >= Math.min(TOUCH_EVERY_MS, idleMs / 10)) this.db.prepare('UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?').run(t, id);
    return toUser(row);
  }

  deleteSession(token: string): void {
    this.db.prepare('DELETE FROM sessions WHERE id_hash = ?').run(hashToken(token));
  }
}

export class UserExistsError extends Error {
  constructor(
    readonly username: string,
    /** Set when the name is not taken but looks like this existing one. */
    readonly lookalikeOf?: string,
  ) {
    super(lookalikeOf ? `${username} looks like the existing user ${lookalikeOf}; choose a clearly different name` : `a user named ${username} already exists`);
    this.name = 'UserExistsError';
  }
}

export class PasswordPolicyError extends Error {
  constructor(readonly problem: string) {
    super(`password: ${problem}`);
    this.name = 'PasswordPolicyError';
  }
}
