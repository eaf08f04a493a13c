import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { parseRange } from '../../src/review/media/range.js';
import { resolveEvidencePath } from '../../src/review/media/resolve-path.js';
import { VerifiedFiles } from '../../src/review/media/verified-file.js';

describe('parseRange', () => {
  it('handles the forms a video element sends', () => {
    expect(parseRange(undefined, 100)).toEqual({ kind: 'full' });
    expect(parseRange('bytes=0-', 100)).toEqual({ kind: 'partial', start: 0, end: 99 });
    expect(parseRange('bytes=10-19', 100)).toEqual({ kind: 'partial', start: 10, end: 19 });
    expect(parseRange('bytes=90-500', 100)).toEqual({ kind: 'partial', start: 90, end: 99 });
    expect(parseRange('bytes=-30', 100)).toEqual({ kind: 'partial', start: 70, end: 99 });
    expect(parseRange('bytes=-300', 100)).toEqual({ kind: 'partial', start: 0, end: 99 });
  });

  it('refuses what cannot be satisfied and ignores what it does not understand', () => {
    expect(parseRange('bytes=100-', 100)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=-0', 100)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=0-', 0)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=5-1', 100)).toEqual({ kind: 'full' });
    expect(parseRange('bytes=0-1,3-4', 100)).toEqual({ kind: 'full' });
    expect(parseRange('items=0-1', 100)).toEqual({ kind: 'full' });
    expect(parseRange('bytes=-', 100)).toEqual({ kind: 'full' });
  });

  it('never returns a range outside the file', () => {
    fc.assert(
      fc.property(fc.string(), fc.nat(10_000), (header, size) => {
        const r = parseRange(header, size);
        if (r.kind === 'partial') {
          expect(r.start).toBeGreaterThanOrEqual(0);
          expect(r.end).toBeLessThan(size);
          expect(r.start).toBeLessThanOrEqual(r.end);
        }
      }),
    );
    fc.assert(
      fc.property(fc.option(fc.nat(20_000)), fc.option(fc.nat(20_000)), fc.nat(10_000), (a, b, size) => {
        const r = parseRange(`bytes=${a ?? ''}-${b ?? ''}`, size);
        if (r.kind === 'partial') expect(r.end).toBeLessThan(size);
      }),
    );
  });
});

describe('resolveEvidencePath', () => {
  let root: string;
  let outside: string;
  beforeAll(() => {
    root = realpathSync(mkdtempSync(join(tmpdir(), 'patrol-root-')));
    outside = realpathSync(mkdtempSync(join(tmpdir(), 'patrol-outside-')));
    mkdirSync(join(root, 'events/e1'), { recursive: true });
    writeFileSync(join(root, 'events/e1/s.jpg'), 'x');
    writeFileSync(join(outside, 'secret'), 'x');
    symlinkSync(join(outside, 'secret'), join(root, 'events/e1/link.jpg'));
    mkdirSync(join(root, 'inner'), { recursive: true });
    writeFileSync(join(root, 'inner/ok.jpg'), 'x');
    symlinkSync(join(root, 'inner/ok.jpg'), join(root, 'events/e1/inner-link.jpg'));
  });
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  it('resolves a recorded relative path inside the storage dir', async () => {
    expect(await resolveEvidencePath(root, 'events/e1/s.jpg')).toEqual({ ok: true, path: join(root, 'events/e1/s.jpg') });
    expect(await resolveEvidencePath(root, './events/./e1/s.jpg')).toMatchObject({ ok: true });
    // A symlink that stays inside is fine.
    expect(await resolveEvidencePath(root, 'events/e1/inner-link.jpg')).toEqual({ ok: true, path: join(root, 'inner/ok.jpg') });
  });

  it.each(['../secret', 'events/../../secret', '/etc/passwd', 'C:\\Windows\\win.ini', 'events\\..\\..\\x', 'a\0b', '', '..', 'events/e1/link.jpg'])('refuses %j', async (p) => {
    expect(await resolveEvidencePath(root, p)).toMatchObject({ ok: false, code: 'unsafe_path' });
  });

  it('reports missing files as not_found', async () => {
    expect(await resolveEvidencePath(root, 'events/e1/missing.jpg')).toMatchObject({ ok: false, code: 'not_found' });
  });

  it('never resolves outside the root, whatever the string', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom('..', '.', 'events', 'e1', 's.jpg', 'link.jpg', '', '%2e%2e', '/', '\\'), { maxLength: 6 }), async (parts) => {
        const r = await resolveEvidencePath(root, parts.join('/'));
        if (r.ok) expect(r.path.startsWith(`${root}/`)).toBe(true);
      }),
    );
  });
});

describe('VerifiedFiles', () => {
  it('opens a file whose hash matches, refuses one that does not, and notices a rewrite', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'patrol-verify-'));
    const f = join(dir, 'a.bin');
    writeFileSync(f, 'hello');
    const sha = createHash('sha256').update('hello').digest('hex');
    const files = new VerifiedFiles();
    const ok = await files.open(f, sha);
    expect(ok.ok).toBe(true);
    if (ok.ok) {
      expect(ok.file.size).toBe(5);
      // The handle is still usable after hashing.
      const chunks: Buffer[] = [];
      for await (const c of ok.file.handle.createReadStream({ start: 1, end: 3 })) chunks.push(c as Buffer);
      expect(Buffer.concat(chunks).toString()).toBe('ell');
    }
    const again = await files.open(f, sha);
    expect(again.ok).toBe(true);
    if (again.ok) await again.file.handle.close();
    writeFileSync(f, 'jello');
    const bad = await files.open(f, sha);
    expect(bad).toEqual({ ok: false, actual: createHash('sha256').update('jello').digest('hex') });
    rmSync(dir, { recursive: true, force: true });
  });
});
