import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  EvidencePathError,
  evidenceRelPath,
  removeEvidenceFile,
  resolveInStorage,
  safeSegment,
  verifyEvidenceFile,
  writeEvidenceFile,
} from '../../src/evidence/store-files.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'patrol-evidence-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('writeEvidenceFile', () => {
  it('writes the file, creates folders, returns its path and sha256, leaves no temp file', async () => {
    const data = Buffer.from('jpeg bytes');
    const rel = 'evidence/cam1/2026-01-02/ev1/snapshot.jpg';
    const w = await writeEvidenceFile(dir, rel, data);
    expect(w.path).toBe(join(dir, rel));
    expect(w.relPath).toBe(rel);
    expect(w.sha256).toBe(sha(data));
    expect(readFileSync(w.path)).toEqual(data);
    expect(readdirSync(join(dir, 'evidence/cam1/2026-01-02/ev1'))).toEqual(['snapshot.jpg']);
  });

  it('replaces an existing file whole (rename over it)', async () => {
    const rel = 'a/b.jpg';
    await writeEvidenceFile(dir, rel, Buffer.alloc(100_000, 1));
    const w = await writeEvidenceFile(dir, rel, Buffer.from('short'));
    expect(readFileSync(w.path, 'utf8')).toBe('short');
    expect(readdirSync(join(dir, 'a'))).toEqual(['b.jpg']);
  });

  it('cleans up its temp file when the rename fails', async () => {
    mkdirSync(join(dir, 'a', 'taken.jpg'), { recursive: true });
    writeFileSync(join(dir, 'a', 'taken.jpg', 'x'), 'x');
    await expect(writeEvidenceFile(dir, 'a/taken.jpg', Buffer.from('x'))).rejects.toThrow();
    expect(readdirSync(join(dir, 'a'))).toEqual(['taken.jpg']);
  });

  it.each([
    ['../escape.jpg'],
    ['evidence/../../escape.jpg'],
    ['a/../b.jpg'],
    ['/etc/passwd'],
    ['C:\\Windows\\x.jpg'],
    ['a\\..\\b.jpg'],
    [''],
    ['a//b.jpg'],
    ['./a.jpg'],
    ['a/b.jpg\0.png'],
    ['..'],
  ])('refuses %j', async (rel) => {
    await expect(writeEvidenceFile(dir, rel, Buffer.from('x'))).rejects.toBeInstanceOf(EvidencePathError);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses to write through a symlinked folder that points outside', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'patrol-outside-'));
    try {
      symlinkSync(outside, join(dir, 'link'));
      await expect(writeEvidenceFile(dir, 'link/x.jpg', Buffer.from('x'))).rejects.toThrow(/outside the storage dir/);
      expect(readdirSync(outside)).toEqual([]);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('allows a storage dir that is itself a symlink', async () => {
    const real = mkdtempSync(join(tmpdir(), 'patrol-real-'));
    try {
      symlinkSync(real, join(dir, 'store'));
      const w = await writeEvidenceFile(join(dir, 'store'), 'e/x.jpg', Buffer.from('x'));
      expect(readFileSync(join(real, 'e', 'x.jpg'), 'utf8')).toBe('x');
      expect(w.relPath).toBe('e/x.jpg');
    } finally {
      rmSync(real, { recursive: true, force: true });
    }
  });
});

describe('paths', () => {
  it('evidence layout: evidence/<camera>/<UTC day of start>/<event>/<name>', () => {
    const start = Date.UTC(2026, 4, 6, 23, 59, 0);
    expect(evidenceRelPath('cam-1', start, 'cam-1.z.stall.abc', 'snapshot-x.jpg')).toBe('evidence/cam-1/2026-05-06/cam-1.z.stall.abc/snapshot-x.jpg');
  });
  it('ids cannot smuggle separators or dot-dot into the layout', () => {
    expect(safeSegment('../x/y')).toBe('.._x_y');
    expect(safeSegment('..')).toBe('_..');
    expect(evidenceRelPath('..', 0, 'a/b', 'n.jpg')).toBe('evidence/_../1970-01-01/a_b/n.jpg');
    expect(() => resolveInStorage(dir, evidenceRelPath('..', 0, '..', '..'))).not.toThrow();
  });
  it('resolveInStorage returns an absolute path inside', () => {
    expect(resolveInStorage(dir, 'x/y.jpg')).toBe(join(dir, 'x', 'y.jpg'));
  });
});

describe('verify and remove', () => {
  it('verifies the recorded hash and notices a changed or missing file', async () => {
    const w = await writeEvidenceFile(dir, 'v/a.jpg', Buffer.from('original'));
    expect(await verifyEvidenceFile(dir, 'v/a.jpg', w.sha256)).toBe(true);
    writeFileSync(w.path, 'tampered');
    expect(await verifyEvidenceFile(dir, 'v/a.jpg', w.sha256)).toBe(false);
    await removeEvidenceFile(dir, 'v/a.jpg');
    expect(await verifyEvidenceFile(dir, 'v/a.jpg', w.sha256)).toBe(false);
    await expect(removeEvidenceFile(dir, 'v/a.jpg')).resolves.toBeUndefined();
    await expect(removeEvidenceFile(dir, '../a.jpg')).rejects.toBeInstanceOf(EvidencePathError);
  });
});
