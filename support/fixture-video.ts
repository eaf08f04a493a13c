import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const REPO = join(import.meta.dirname, '..');
export const SHARED = join(REPO, '..', 'shared');
export const HAS_SHARED = existsSync(join(SHARED, 'models', 'yolox_nano.onnx'));
export const STAND_IN_MANIFEST = join(REPO, 'models', 'yolox_nano-coco.json');

/** A fixture video by scenario name, generated on demand (the generator skips what is up to date). */
export function fixtureVideo(name: string, ext: 'mp4' | 'ts' = 'mp4'): string {
  const file = join(REPO, 'fixtures', 'generated', `${name}.${ext}`);
  if (!existsSync(file)) {
    execFileSync(process.execPath, ['--import', 'tsx', join(REPO, 'fixtures', 'generate.ts'), '--only', name], { cwd: REPO, stdio: 'inherit' });
  }
  return file;
}
