import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Measured figures of a fault test, for docs/FAULTS.md: written as `<PATROL_FAULTS_OUT>/<name>.json` when that
 * variable names a folder (e.g. PATROL_FAULTS_OUT=test/faults/results npm run test:faults), else only logged.
 */
export function writeFaultFigures(name: string, figures: Record<string, unknown>): void {
  const out = process.env.PATROL_FAULTS_OUT;
  if (!out) return;
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, `${name}.json`), `${JSON.stringify({ name, measuredAt: new Date().toISOString(), ...figures }, null, 2)}\n`);
}
