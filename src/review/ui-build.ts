/**
 * Bundles the review UI (TypeScript in src/review/ui/) into dist/ui/app.js with esbuild. Run as a script
 * (`npm run build:ui`, also at `prepare` and `prestart`); the UI plugin calls `ensureUiBundle` too, so
 * `patrol serve` and the tests never serve sources newer than their bundle.
 */
import { mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const UI_SRC_DIR = fileURLToPath(new URL('./ui/', import.meta.url));
export const UI_PUBLIC_DIR = join(UI_SRC_DIR, 'public');
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const UI_BUNDLE_DIR = join(REPO_ROOT, 'dist/ui');
export const UI_BUNDLE = join(UI_BUNDLE_DIR, 'app.js');

export class EsbuildMissing extends Error {
  constructor() {
    super(`the review UI is not built (${relative(REPO_ROOT, UI_BUNDLE)}) and esbuild, a devDependency, is not installed to build it: run \`npm install\` and \`npm run build:ui\`, or ship the bundle built elsewhere`);
    this.name = 'EsbuildMissing';
  }
}

export interface UiBuildResult {
  file: string;
  bytes: number;
  ms: number;
}

export async function buildUi(opts: { minify?: boolean } = {}): Promise<UiBuildResult> {
  const started = performance.now();
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch {
    throw new EsbuildMissing();
  }
  const out = await esbuild.build({
    entryPoints: [join(UI_SRC_DIR, 'app.ts')],
    bundle: true,
    format: 'esm',
    target: ['es2022'],
    platform: 'browser',
    minify: opts.minify ?? true,
    sourcemap: 'linked',
    outfile: UI_BUNDLE,
    write: false,
    logLevel: 'silent',
    legalComments: 'none',
  });
  mkdirSync(UI_BUNDLE_DIR, { recursive: true });
  let bytes = 0;
  // Test workers may build at once: each writes its own file and renames it over, so no reader sees half a bundle.
  for (const f of out.outputFiles) {
    const tmp = `${f.path}.${process.pid}.tmp`;
    writeFileSync(tmp, f.contents);
    renameSync(tmp, f.path);
    if (f.path === UI_BUNDLE) bytes = f.contents.byteLength;
  }
  return { file: UI_BUNDLE, bytes, ms: performance.now() - started };
}

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'public') newest = Math.max(newest, newestSource(p));
    } else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

function mtime(file: string): number | undefined {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

/**
 * A bundle at least as new as the UI sources: rebuilt when a source changed and esbuild is at hand.
 * Without esbuild (a production install) an existing bundle is served as built; a missing one is an error
 * that says how to make it. The options exist for tests.
 */
export async function ensureUiBundle(opts: { bundle?: string; srcDir?: string; build?: () => Promise<unknown> } = {}): Promise<void> {
  const bundle = opts.bundle ?? UI_BUNDLE;
  const built = mtime(bundle);
  if (built !== undefined && built >= newestSource(opts.srcDir ?? UI_SRC_DIR)) return;
  try {
    await (opts.build ?? buildUi)();
  } catch (err) {
    // A deployment may lack esbuild or may not write its install dir: the bundle it shipped with stands.
    const code = (err as NodeJS.ErrnoException).code;
    if (built !== undefined && (code === 'EACCES' || code === 'EROFS' || err instanceof EsbuildMissing)) return;
    throw err;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const r = await buildUi();
  console.log(`review UI: ${relative(process.cwd(), r.file)} ${(r.bytes / 1024).toFixed(1)} KiB in ${r.ms.toFixed(0)} ms`);
}
