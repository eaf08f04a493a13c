import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';

export interface OpenedFile {
  handle: FileHandle;
  size: number;
}

export type VerifyResult = { ok: true; file: OpenedFile } | { ok: false; actual: string };

/**
 * Opens a file and checks its SHA-256 before anything is served from it. The same open handle is then
 * used for the response, so the bytes checked are the bytes sent (no swap between check and read).
 *
 * Hashing a clip on every range request would be wasteful (a video element makes many), so a verified
 * file is remembered by inode, size, mtime and ctime; any write or rename changes ctime, which no user
 * tool can set back, so a tampered file is hashed again.
 */
export class VerifiedFiles {
  private readonly verified = new Map<string, string>();

  constructor(private readonly maxEntries = 2000) {}

  async open(path: string, expectedSha256: string): Promise<VerifyResult> {
    const handle = await open(path, 'r');
    try {
      const st = await handle.stat();
      const key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}:${expectedSha256.toLowerCase()}`;
      if (this.verified.get(path) !== key) {
        const actual = await sha256Of(handle);
        if (actual !== expectedSha256.toLowerCase()) {
          await handle.close();
          return { ok: false, actual };
        }
        this.remember(path, key);
      }
      return { ok: true, file: { handle, size: st.size } };
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw err;
    }
  }

  private remember(path: string, key: string): void {
    this.verified.delete(path);
    this.verified.set(path, key);
    if (this.verified.size > this.maxEntries) this.verified.delete(this.verified.keys().next().value!);
  }
}

async function sha256Of(handle: FileHandle): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of handle.createReadStream({ start: 0, autoClose: false })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
