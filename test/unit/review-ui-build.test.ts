import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureUiBundle, EsbuildMissing } from '../../src/review/ui-build.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A UI source dir with one .ts file last changed at `srcAt`, and optionally a bundle changed at `bundleAt` (seconds). */
function setup(srcAt: number, bundleAt?: number) {
  const dir = mkdtempSync(join(tmpdir(), 'patrol-ui-build-'));
  dirs.push(dir);
  const src = join(dir, 'app.ts');
  writeFileSync(src, 'export {};\n');
  utimesSync(src, srcAt, srcAt);
  const bundle = join(dir, 'app.js');
  if (bundleAt !== undefined) {
    writeFileSync(bundle, '// built\n');
    utimesSync(bundle, bundleAt, bundleAt);
  }
  return { srcDir: dir, bundle };
}

describe('the review UI bundle the server serves', () => {
  it('is left alone when newer than every source, and rebuilt when a source is newer', async () => {
    let builds = 0;
    const build = async () => void builds++;
    await ensureUiBundle({ ...setup(1000, 2000), build });
    expect(builds).toBe(0);
    await ensureUiBundle({ ...setup(3000, 2000), build });
    expect(builds).toBe(1);
  });

  it('without esbuild: a stale bundle is served as it is, a missing one stops the server with how to build it', async () => {
    const build = async () => {
      throw new EsbuildMissing();
    };
    await expect(ensureUiBundle({ ...setup(3000, 2000), build })).resolves.toBeUndefined();
    await expect(ensureUiBundle({ ...setup(3000), build })).rejects.toThrow(/npm run build:ui/);
  });

  it('a source that does not compile is an error, not a stale page', async () => {
    const build = async () => {
      throw new Error('src/review/ui/app.ts:3:1: ERROR: Unexpected "}"');
    };
    await expect(ensureUiBundle({ ...setup(3000, 2000), build })).rejects.toThrow(/Unexpected/);
  });
});
