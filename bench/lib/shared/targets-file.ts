import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { PatrolError } from '../../../src/errors.js';

/**
 * bench/targets.json holds one section per benchmark (`model`, `events`, `throughput`, …); each benchmark
 * reads only its own, validated by its own schema. Every failure names the file, the key and the fix.
 */
export function parseTargetsSection<S extends z.ZodType>(json: unknown, key: string, schema: S, file = 'bench/targets.json'): z.output<S> {
  const section = json && typeof json === 'object' && key in json ? (json as Record<string, unknown>)[key] : undefined;
  if (section === undefined) throw new PatrolError(`Targets file ${file} has no "${key}" section.`, `Add the "${key}" key (see bench/targets.json in the repository), or pass --targets FILE.`);
  const r = schema.safeParse(section);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  - ${[key, ...i.path].join('.')}: ${i.message}`);
    throw new PatrolError(`Targets file ${file} is invalid:\n${lines.join('\n')}`, 'Compare with bench/targets.json in the repository.');
  }
  return r.data;
}

export function loadTargetsSection<S extends z.ZodType>(file: string, key: string, schema: S): z.output<S> {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new PatrolError(`Targets file ${file} cannot be read: ${(err as Error).message}.`, 'Pass --targets FILE, or restore bench/targets.json.');
  }
  return parseTargetsSection(json, key, schema, file);
}
