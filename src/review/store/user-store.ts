import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Db } from './database.js';
import { hashPassword, verifyPassword } from '../auth/password.js';
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
/** Long rather than complex: staff pick passphrases; 12 characters resist online and offline guessing. */
export const NewPassword = z.string().min(12, 'at least 12 characters').max(256);
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

export const DEFAULT_SESSION_TTL_MS = 12 * 3600_000;

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

  /** Throws `UserExistsError` when the name is taken (case-insensitively). */
  async create(input: NewUserInput): Promise<User> {
    const u = NewUserInput.parse(input);
    const hash = await hashPassword(u.password);
    try {
      const { lastInsertRowid } = this.db
        .prepare('INSERT INTO users (username, role, password_hash, created_at) VALUES (?, ?, ?, ?)')
        .run(u.username, u.role, hash, this.now());
      return this.get(Number(lastInsertRowid))!;
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new UserExistsError(u.username);
      throw err;
    }
  }

  async setPassword(id: number, password: string): Promise<void> {
    const hash = await hashPassword(NewPassword.parse(password));
    this.db.prepare('UPDATE users SET password_hash = ? WHERE id = ?').run(hash, id);
    // A new password ends every existing session of that user.
    this.db.prepare('DELETE FROM sessions WHERE user_id = ?').run(id);
  }

  /** The user when the password matches and the account is enabled; null otherwise (same time either way). */
  async verifyLogin(username: string, password: string): Promise<User | null> {
    const row = this.db.prepare('SELECT * FROM users WHERE username = ?').get(username.trim()) as UserRow | undefined;
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
    this.db.prepare('INSERT INTO sessions (id_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)').run(hashToken(token), userId, t, t + ttlMs);
    return { token, expiresAt: t + ttlMs };
  }

  /** The session's user, or null for an unknown, expired or disabled one. */
  sessionUser(token: string | undefined): User | null {
    if (!token || token.length > 128) return null;
    const row = this.db
      .prepare('SELECT u.* FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = ? AND s.expires_at > ? AND u.disabled = 0')
      .get(hashToken(token), this.now()) as UserRow | undefined;
    return row ? toUser(row) : null;
  }

  deleteSession(token: string): void {
    this.db.prepare('DELETE FROM sessions WHERE id_hash = ?').run(hashToken(token));
  }
}

export class UserExistsError extends Error {
  constructor(readonly username: string) {
    super(`a user named ${username} already exists`);
    this.name = 'UserExistsError';
  }
}
