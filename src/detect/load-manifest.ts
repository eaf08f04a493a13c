import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { z } from 'zod';
import { PatrolError } from '../errors.js';
import { type ModelManifest, ModelManifestSchema } from './manifest.js';

export interface LoadedManifest {
  manifest: ModelManifest;
  /** Absolute path of the manifest file. */
  manifestPath: string;
  /** Absolute path of the .onnx file, resolved against the manifest's folder. */
  modelPath: string;
}

const SCHEMA_HINT =
  'Fix the fields listed above. A complete, working example is models/yolox_nano-coco.json; models/README.md describes every field.';

/**
 * Read a model manifest, validate it, and check that its model file exists (and matches `sha256` when given).
 * Every failure is a PatrolError naming the file and the fix.
 */
export async function loadManifest(manifestPath: string, opts: { verifySha256?: boolean } = {}): Promise<LoadedManifest> {
  const abs = path.resolve(manifestPath);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (err) {
    throw new PatrolError(
      `Model manifest ${manifestPath} cannot be read: ${errnoText(err)}.`,
      'Check the detector\'s "manifest" path in the config; manifests live beside their models in models/NAME.json.',
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new PatrolError(
      `Model manifest ${manifestPath} is not valid JSON: ${(err as Error).message}.`,
      'Fix the JSON syntax (a trailing comma or a missing quote is the usual cause).',
    );
  }
  const manifest = parseManifest(json, manifestPath);
  const modelPath = path.resolve(path.dirname(abs), manifest.file);
  await checkModelFile(modelPath, manifest, manifestPath);
  if (manifest.sha256 && opts.verifySha256 !== false) {
    const actual = await sha256File(modelPath);
    if (actual !== manifest.sha256) {
      throw new PatrolError(
        `Model file ${modelPath} of "${manifest.name}" does not match its manifest ${manifestPath}: ` +
          `sha256 is ${actual}, the manifest expects ${manifest.sha256}.`,
        'The file was replaced or is corrupt. Restore the file the manifest describes, or — if the new file is ' +
          'intended — re-export it with its manifest (models/README.md) so sha256 and the rest agree.',
      );
    }
  }
  return { manifest, manifestPath: abs, modelPath };
}

/** Validate parsed JSON against ModelManifestSchema; `source` names the file in messages. Pure. */
export function parseManifest(json: unknown, source: string): ModelManifest {
  const r = ModelManifestSchema.safeParse(json, { reportInput: true });
  if (r.success) return r.data;
  const lines = r.error.issues.map((i) => `  - ${formatPath(i.path)}: ${describeIssue(i)}`);
  throw new PatrolError(`Model manifest ${source} is invalid:\n${lines.join('\n')}`, SCHEMA_HINT);
}

async function checkModelFile(modelPath: string, m: ModelManifest, manifestPath: string): Promise<void> {
  try {
    const s = await stat(modelPath);
    if (s.isFile()) return;
  } catch {
    // fall through to the message below
  }
  const fromShared = modelPath.split(path.sep).includes('shared');
  throw new PatrolError(
    `Model file of "${m.name}" not found: ${modelPath} (from "file": "${m.file}" in ${manifestPath}).`,
    fromShared
      ? 'This is the stand-in model read from ../shared, and ../shared is absent on this machine (a fresh clone ' +
          'has none). Use one of the project\'s own models in models/, or place the shared folder beside the repository.'
      : 'Train or export the model (see models/README.md), or correct "file" — it is relative to the manifest\'s folder.',
  );
}

export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

function formatPath(p: readonly PropertyKey[]): string {
  if (p.length === 0) return '(top level)';
  let s = '';
  for (const k of p) s += typeof k === 'number' ? `[${k}]` : s ? `.${String(k)}` : String(k);
  return s;
}

function describeIssue(i: z.core.$ZodIssue): string {
  const got = 'input' in i && i.input !== undefined ? `, got ${JSON.stringify(i.input)}` : '';
  switch (i.code) {
    case 'invalid_type':
      if (i.input === undefined) return `required field is missing (expected ${i.expected})`;
      return `expected ${i.expected}${got}`;
    case 'invalid_value':
      return `expected one of ${i.values.map((v) => JSON.stringify(v)).join(', ')}${got}`;
    case 'unrecognized_keys':
      return `unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')} — remove or check the spelling`;
    case 'too_small':
      return `expected ${i.origin === 'array' ? 'at least' : i.inclusive ? '≥' : '>'} ${String(i.minimum)}${i.origin === 'array' ? ' item(s)' : ''}${got}`;
    case 'too_big':
      return `expected ${i.origin === 'array' ? 'at most' : i.inclusive ? '≤' : '<'} ${String(i.maximum)}${i.origin === 'array' ? ' item(s)' : ''}${got}`;
    case 'invalid_format':
      if (formatPath(i.path) === 'sha256') return `expected 64 lowercase hex digits (the output of \`sha256sum FILE\`)${got}`;
      return `${i.message}${got}`;
    default:
      return i.message;
  }
}

function errnoText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOENT') return 'no such file';
  if (e.code === 'EACCES') return 'permission denied';
  if (e.code === 'EISDIR') return 'it is a folder';
  return e.message ?? String(err);
}
