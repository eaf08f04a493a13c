import Database from 'better-sqlite3';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';

export type Db = Database.Database;

/**
 * Schema migrations, applied in order; `PRAGMA user_version` records how many ran. Append, never edit:
 * a deployed review.db has already run the old ones.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE events (
    id            TEXT PRIMARY KEY,
    camera        TEXT NOT NULL,
    zone          TEXT NOT NULL,
    type          TEXT NOT NULL,
    status        TEXT NOT NULL,
    started_at    INTEGER NOT NULL,
    confirmed_at  INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    ended_at      INTEGER,
    peak_score    REAL NOT NULL,
    data          TEXT NOT NULL,      -- the latest merged PatrolEvent, as JSON
    received_at   INTEGER NOT NULL,   -- when the first message for it arrived here
    updated_at    INTEGER NOT NULL
  );
  CREATE INDEX events_confirmed ON events (confirmed_at);
  CREATE INDEX events_status ON events (status, confirmed_at);
  CREATE INDEX events_camera ON events (camera, confirmed_at);
  CREATE INDEX events_type ON events (type, confirmed_at);
  CREATE INDEX events_zone ON events (zone, confirmed_at);

  -- Every queue message applied, keyed by jobId: the idempotency record and the pipeline's half of the history.
  CREATE TABLE messages (
    job_id        TEXT PRIMARY KEY,
    event_id      TEXT NOT NULL,
    kind          TEXT NOT NULL,
    published_at  INTEGER NOT NULL,
    applied_at    INTEGER NOT NULL
  );
  CREATE INDEX messages_event ON messages (event_id, published_at);

  CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT NOT NULL UNIQUE COLLATE NOCASE,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0
  );

  -- Reviewer actions: who did what to which event, when, and why.
  CREATE TABLE actions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id      TEXT NOT NULL REFERENCES events (id),
    at            INTEGER NOT NULL,
    user_id       INTEGER REFERENCES users (id),
    username      TEXT NOT NULL,
    action        TEXT NOT NULL,
    reason        TEXT,
    note          TEXT,
    squad         TEXT,
    grid_cell     TEXT
  );
  CREATE INDEX actions_event ON actions (event_id, at);

  CREATE TABLE status_history (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id      TEXT NOT NULL REFERENCES events (id),
    at            INTEGER NOT NULL,
    from_status   TEXT,
    to_status     TEXT NOT NULL,
    actor         TEXT NOT NULL,
    action_id     INTEGER REFERENCES actions (id)
  );
  CREATE INDEX status_history_event ON status_history (event_id, at);

  -- Only a hash of the session id is stored, so a copied database does not hand out live sessions.
  CREATE TABLE sessions (
    id_hash       TEXT PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL
  );
  CREATE INDEX sessions_expires ON sessions (expires_at);

  -- Queue messages that failed validation: kept for a person to look at instead of redelivered forever.
  CREATE TABLE dead_letters (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id        TEXT,
    received_at   INTEGER NOT NULL,
    error         TEXT NOT NULL,
    payload       TEXT NOT NULL
  );
  `,
  `
  -- Idle timeout: a session unused for review.idleMinutes ends before its lifetime does.
  ALTER TABLE sessions ADD COLUMN last_seen_at INTEGER NOT NULL DEFAULT 0;
  UPDATE sessions SET last_seen_at = created_at;

  -- Who did what, when, from where. Append-only: rows are never changed, and only rows older than the
  -- retention floor (30 days) can be deleted, so the log cannot be quietly rewritten through the app.
  CREATE TABLE audit_log (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    at            INTEGER NOT NULL,
    actor_id      INTEGER,
    actor         TEXT NOT NULL,        -- username as typed for a failed login, else the account's name
    ip            TEXT,
    action        TEXT NOT NULL,        -- login.success, login.failure, user.disable, event.confirm, …
    target        TEXT,                 -- the user or event acted on
    outcome       TEXT NOT NULL,        -- ok | denied | failed
    detail        TEXT                  -- JSON: role changes, reasons, …
  );
  CREATE INDEX audit_at ON audit_log (at);
  CREATE INDEX audit_actor ON audit_log (actor, at);
  CREATE INDEX audit_action ON audit_log (action, at);
  CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
  CREATE TRIGGER audit_log_retention_floor BEFORE DELETE ON audit_log
    WHEN old.at > (CAST(strftime('%s', 'now') AS INTEGER) - 30 * 86400) * 1000
    BEGIN SELECT RAISE(ABORT, 'audit_log rows younger than 30 days cannot be deleted'); END;
  `,
];

/** Opens (creating if needed) `<storageDir>/review.db` in WAL mode and brings its schema up to date. */
export function openDatabase(storageDir: string, file = 'review.db'): Db {
  mkdirSync(storageDir, { recursive: true, mode: 0o700 });
  const path = join(storageDir, file);
  // Password and session hashes: owner-only. SQLite gives the -wal and -shm files the database's own mode,
  // and a file left 0644 by an older version is tightened here.
  closeSync(openSync(path, 'a', 0o600));
  chmodSync(path, 0o600);
  for (const extra of ['-wal', '-shm']) if (existsSync(path + extra)) chmodSync(path + extra, 0o600);
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  // NORMAL is durable across process crashes in WAL mode; only an OS crash can lose the last commits.
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

function migrate(db: Db): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
