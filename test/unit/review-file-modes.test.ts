import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ReviewStore } from '../../src/review/store/review-store.js';
import { redactCredentials } from '../../src/log/redact.js';

const mode = (p: string) => statSync(p).mode & 0o777;
let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('storage file modes', () => {
  it('creates the storage dir 0700 and review.db with its WAL 0600, whatever the umask', () => {
    dir = mkdtempSync(join(tmpdir(), 'patrol-modes-'));
    const storage = join(dir, 'var');
    const old = process.umask(0o022);
    try {
      const store = ReviewStore.open(storage);
      store.users.count();
      expect(mode(storage)).toBe(0o700);
      expect(mode(join(storage, 'review.db'))).toBe(0o600);
      expect(mode(join(storage, 'review.db-wal'))).toBe(0o600);
      store.close();
    } finally {
      process.umask(old);
    }
  });

  it('tightens a review.db an older version left 0644', () => {
    dir = mkdtempSync(join(tmpdir(), 'patrol-modes-'));
    writeFileSync(join(dir, 'review.db'), '');
    chmodSync(join(dir, 'review.db'), 0o644);
    const store = ReviewStore.open(dir);
    expect(mode(join(dir, 'review.db'))).toBe(0o600);
    store.close();
  });
});

describe('Redis URL redaction', () => {
  it('hides the password of every Redis URL form, like a camera URL', () => {
    for (const url of ['redis://:s3cret-pw@redis:6379', 'redis://default:s3cret-pw@redis:6379/0', 'rediss://ops:s3cret-pw@10.0.0.5:6380']) {
      const line = `cannot reach Redis at ${url}: ECONNREFUSED`;
      expect(redactCredentials(line)).not.toContain('s3cret-pw');
      expect(redactCredentials(line)).toContain('***@');
    }
    expect(redactCredentials('redis://redis:6379/0?password=s3cret-pw')).not.toContain('s3cret-pw');
  });
});
