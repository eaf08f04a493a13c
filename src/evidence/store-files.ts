import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, realpath, rename, rm, unlink } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep, win32 } from 'node:path';

/** A relative path that would leave the storage dir, or is not a plain relative path at all. */
export class EvidencePathError extends Error {
  constructor(relPath: string, why: string) {
    super(`evidence path ${JSON.stringify(relPath)} refused: ${why}`);
    this.name = 'EvidencePathError';
  }
}

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function isInside(root: string, target: string): boolean {
  const rel = relative(root, target);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

/**
 * The absolute path of `relPath` under `storageDir`. Only plain relative paths with '/' separators are
 * accepted: no absolute paths, no '..', '.' or empty segments, no backslashes or NUL bytes. The same
 * string is recorded with the event and later served, so it must mean one file on every machine.
 */
export function resolveInStorage(storageDir: string, relPath: string): string {
  if (typeof relPath !== 'string' || relPath.length === 0) throw new EvidencePathError(String(relPath), 'empty');
  if (relPath.length > 1024) throw new EvidencePathError(relPath.slice(0, 40) + '…', 'too long');
  if (relPath.includes('\0')) throw new EvidencePathError(relPath, 'contains a NUL byte');
  if (relPath.includes('\\')) throw new EvidencePathError(relPath, 'contains a backslash');
  if (isAbsolute(relPath) || win32.isAbsolute(relPath)) throw new EvidencePathError(relPath, 'absolute path');
  for (const seg of relPath.split('/')) {
    if (seg === '..') throw new EvidencePathError(relPath, 'leaves the storage dir');
    if (seg === '' || seg === '.') throw new EvidencePathError(relPath, 'empty or "." segment');
  }
  const root = resolve(storageDir);
  const target = resolve(root, relPath);
  if (!isInside(root, target)) throw new EvidencePathError(relPath, 'leaves the storage dir');
  return target;
}

/** One path segment made from an id: anything outside [A-Za-z0-9._-] becomes '_', and never '.' or '..'. */
export function safeSegment(s: string): string {
  const out = s.replace(/[^A-Za-z0-9._-]/g, '_');
  return out === '' || out === '.' || out === '..' ? `_${out}` : out;
}

/** UTC calendar day of an epoch-ms time, `YYYY-MM-DD`; UTC so the layout never depends on the host. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** `evidence/<cameraId>/<YYYY-MM-DD>/<eventId>/<name>`; the day is the event's start (UTC). */
export function evidenceRelPath(cameraId: string, eventStartedAt: number, eventId: string, name: string): string {
  return ['evidence', safeSegment(cameraId), utcDay(eventStartedAt), safeSegment(eventId), safeSegment(name)].join('/');
}

export interface WrittenFile {
  /** Absolute path of the written file. */
  path: string;
  /** The relative path as given, to record with the event. */
  relPath: string;
  sha256: string;
}

/**
 * Writes `data` to `storageDir/relPath` so that the file is either absent, the old one, or complete:
 * temp file in the same dir, fsync, rename over the target, fsync the dir. Returns its SHA-256 so the
 * event can record it and the reviewer can detect tampering. Refuses paths that leave the storage dir,
 * including through a symlinked directory inside it.
 */
export async function writeEvidenceFile(storageDir: string, relPath: string, data: Uint8Array): Promise<WrittenFile> {
  const target = resolveInStorage(storageDir, relPath);
  const dir = dirname(target);
  await mkdir(dir, { recursive: true });
  const realRoot = await realpath(resolve(storageDir));
  const realDir = await realpath(dir);
  if (realDir !== realRoot && !isInside(realRoot, realDir)) throw new EvidencePathError(relPath, 'resolves outside the storage dir');

  const tmp = join(dir, `.${randomBytes(6).toString('hex')}.${process.pid}.tmp`);
  try {
    const fh = await open(tmp, 'wx', 0o644);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await syncDir(dir);
  return { path: target, relPath, sha256: sha256Hex(data) };
}

/** Makes the rename itself durable. Some filesystems refuse fsync on a directory; the data is synced anyway. */
export async function syncDir(dir: string): Promise<void> {
  try {
    const dh = await open(dir, 'r');
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  } catch {
    /* best effort */
  }
}

/** Removes an evidence file written earlier (a superseded snapshot); a missing file is fine. */
export async function removeEvidenceFile(storageDir: string, relPath: string): Promise<void> {
  try {
    await unlink(resolveInStorage(storageDir, relPath));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** Whether the file at relPath still has the SHA-256 recorded for it. */
export async function verifyEvidenceFile(storageDir: string, relPath: string, sha256: string): Promise<boolean> {
  try {
    return sha256Hex(await readFile(resolveInStorage(storageDir, relPath))) === sha256;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
