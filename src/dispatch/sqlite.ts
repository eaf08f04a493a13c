import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PatrolError } from '../errors.js';

export type Db = Database.Database;
export type Stmt = Database.Statement<unknown[], unknown>;

/**
 * Opens (creating if needed) a SQLite file for a durable queue.
 *
 * WAL: readers never block the writer, and a commit is one append to the WAL instead of a rewrite of the
 * database pages. synchronous=FULL: in WAL mode that fsyncs the WAL at every commit, so a publish that resolved
 * survives power loss, not only a process crash (NORMAL would survive SIGKILL but may lose the last commits on
 * power loss). A dispatch message is a violation alarm and they come at most a few per second, so one fsync
 * each (about a millisecond on SSD) is cheap insurance; `synchronous: 'NORMAL'` is there for slow disks.
 */
export function openDb(file: string, synchronous: 'FULL' | 'NORMAL' = 'FULL'): Db {
  mkdirSync(dirname(file), { recursive: true });
  let db: Db;
  try {
    db = new Database(file);
  } catch (err) {
    throw new PatrolError(
      `cannot open the dispatch queue database ${file}: ${(err as Error).message}`,
      'check that storage.dir exists, is writable by this user and is on a local disk (SQLite needs working file locks)',
    );
  }
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  // Another process (a CLI inspecting the queue) may hold the write lock briefly; wait instead of failing.
  db.pragma('busy_timeout = 5000');
  return db;
}

/** `<storageDir>/queue/<name><suffix>.sqlite`; queue names are restricted so they are safe file names and BullMQ names. */
export function queueFile(storageDir: string, name: string, suffix = ''): string {
  assertQueueName(name);
  return join(storageDir, 'queue', `${name}${suffix}.sqlite`);
}

export function assertQueueName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(name)) {
    throw new PatrolError(
      `invalid dispatch queue name ${JSON.stringify(name)}`,
      'use letters, digits, ".", "_" or "-" (no ":" — BullMQ uses it as its key separator), e.g. queue.name: patrol-events',
    );
  }
}
