import { realpath } from 'node:fs/promises';
import { isAbsolute, join, normalize, sep, win32 } from 'node:path';

export type ResolveResult = { ok: true; path: string } | { ok: false; code: 'unsafe_path' | 'not_found'; message: string };

/**
 * The absolute path of an evidence file recorded (relative to the storage dir) with an event, or a
 * refusal. The recorded path comes from a queue message, which may have crossed machines, so it is not
 * trusted: absolute paths, `..` segments, backslashes and NUL bytes are refused, and after symlinks are
 * resolved the file must still lie inside the storage dir.
 *
 * `storageRoot` must itself be a realpath (see `realStorageRoot`).
 */
export async function resolveEvidencePath(storageRoot: string, recorded: string): Promise<ResolveResult> {
  const unsafe = (why: string): ResolveResult => ({ ok: false, code: 'unsafe_path', message: `evidence path refused: ${why}` });
  if (recorded.length === 0 || recorded.length > 1024) return unsafe('empty or too long');
  if (recorded.includes('\0')) return unsafe('contains a NUL byte');
  if (recorded.includes('\\')) return unsafe('contains a backslash');
  if (isAbsolute(recorded) || win32.isAbsolute(recorded)) return unsafe('absolute path');
  const norm = normalize(recorded);
  if (norm === '..' || norm.startsWith(`..${sep}`) || norm.split(sep).includes('..')) return unsafe('leaves the storage dir');
  let real: string;
  try {
    real = await realpath(join(storageRoot, norm));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { ok: false, code: 'not_found', message: 'evidence file is missing' };
    throw err;
  }
  // A symlink inside the storage dir that points outside it is refused like a `..` path.
  if (!real.startsWith(storageRoot + sep)) return unsafe('resolves outside the storage dir');
  return { ok: true, path: real };
}

export async function realStorageRoot(storageDir: string): Promise<string> {
  return realpath(storageDir);
}
