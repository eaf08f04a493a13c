import type { z } from 'zod';

/** Example fixes for the fields people get wrong most, keyed by the last path segment. */
const EXAMPLES: Record<string, string> = {
  url: 'url: rtsp://${CAM1_USER}:${CAM1_PASS}@10.0.0.5/stream1   or   url: file://../fixtures/generated/stall_setup.mp4',
  id: 'id: cam-01',
  polygon: 'polygon: [[0.1, 0.5], [0.9, 0.5], [0.9, 1.0], [0.1, 1.0]]',
  violations: 'violations: [stall, dumping, burning]',
  intervalSec: 'intervalSec: 5',
  manifest: 'detector: { manifest: ../models/patrol-det.json }',
  cameras: 'cameras:\n    - id: cam-01\n      url: rtsp://10.0.0.5/stream1',
  anchor: 'anchor: bottom-center   # or center, overlap',
  hits: 'hits: 3\n      window: 5',
  redisUrl: 'redisUrl: redis://127.0.0.1:6379',
  port: 'port: 8080',
  dwellSec: 'dwellSec: 60',
};

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || '(top level)';
}

/** Keys an object schema allows at `path` (through arrays, defaults, optionals); undefined when not an object. */
export function allowedKeysAt(schema: z.core.$ZodType | undefined, path: ReadonlyArray<PropertyKey>): string[] | undefined {
  let node: z.core.$ZodType | undefined = schema;
  const unwrap = (): void => {
    for (let i = 0; node && i < 8; i++) {
      const def = node._zod.def as { type: string; innerType?: z.core.$ZodType; in?: z.core.$ZodType };
      if (def.innerType) node = def.innerType;
      else if (def.type === 'pipe' && def.in) node = def.in;
      else return;
    }
  };
  unwrap();
  for (const seg of path) {
    if (!node) return undefined;
    const def = node._zod.def as { type: string; element?: z.core.$ZodType; shape?: Record<string, z.core.$ZodType> };
    if (typeof seg === 'number' && def.type === 'array') node = def.element;
    else if (typeof seg === 'string' && def.type === 'object') node = def.shape?.[seg];
    else return undefined;
    unwrap();
  }
  const def = node?._zod.def as { type: string; shape?: Record<string, unknown> } | undefined;
  return def?.type === 'object' && def.shape ? Object.keys(def.shape) : undefined;
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** The allowed key a typo most likely meant, if one is close. */
export function closestKey(key: string, allowed: readonly string[]): string | undefined {
  const prefix = allowed.find((k) => k.toLowerCase().startsWith(key.toLowerCase()) && key.length >= 3);
  if (prefix) return prefix;
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of allowed) {
    const d = distance(key, k);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(Math.max(key.length, best.length) / 3)) ? best : undefined;
}

function describeUnknownKeys(issue: z.core.$ZodIssue & { code: 'unrecognized_keys' }, schema?: z.core.$ZodType): string {
  const allowed = allowedKeysAt(schema, issue.path);
  const keys = issue.keys.map((k) => {
    const near = allowed ? closestKey(k, allowed) : undefined;
    return near ? `'${k}' (did you mean '${near}'?)` : `'${k}'`;
  });
  const list = allowed ? `allowed here: ${allowed.join(', ')}` : 'see config/schema.json for the allowed keys';
  return `unknown key${issue.keys.length > 1 ? 's' : ''} ${keys.join(', ')} — ${list}`;
}

function describeIssue(issue: z.core.$ZodIssue, schema?: z.core.$ZodType): string {
  switch (issue.code) {
    case 'unrecognized_keys':
      return describeUnknownKeys(issue, schema);
    case 'invalid_type':
      return issue.input === undefined ? `is required (expected ${issue.expected})` : `expected ${issue.expected}, got ${typeof issue.input === 'object' || typeof issue.input === 'string' ? JSON.stringify(issue.input) : String(issue.input)}`;
    case 'too_big':
    case 'too_small': {
      if (issue.origin !== 'number') return issue.message;
      const bound = issue.code === 'too_big' ? issue.maximum : issue.minimum;
      const op = issue.code === 'too_big' ? (issue.inclusive ? 'at most' : 'less than') : issue.inclusive ? 'at least' : 'more than';
      const got = 'input' in issue && issue.input !== undefined ? `, got ${String(issue.input)}` : '';
      const unit = issue.path.some((p) => p === 'polygon') ? ' (coordinates are fractions of the picture, 0 to 1)' : '';
      return `expected a number ${op} ${String(bound)}${got}${unit}`;
    }
    default:
      return issue.message;
  }
}

/**
 * Turns zod issues into lines a person can act on: file, field path, what was expected, an example fix.
 * With the root `schema`, an unknown key also names the allowed keys and the one it most likely meant.
 */
export function formatConfigIssues(file: string, issues: readonly z.core.$ZodIssue[], schema?: z.core.$ZodType): string {
  const lines = [`Invalid configuration in ${file}:`];
  for (const issue of issues.slice(0, 10)) {
    lines.push(`  - ${formatPath(issue.path)}: ${describeIssue(issue, schema)}`);
    // An unknown key's example would be its parent's (a whole camera for a typo inside one): the list of allowed keys says more.
    if (issue.code === 'unrecognized_keys') continue;
    const last = [...issue.path].reverse().find((p) => typeof p === 'string');
    const example = typeof last === 'string' ? EXAMPLES[last] : undefined;
    // Continuation lines of a multi-line example stay under its first line.
    if (example) lines.push(`      e.g. ${example.split('\n').join('\n           ')}`);
  }
  if (issues.length > 10) lines.push(`  … and ${issues.length - 10} more`);
  return lines.join('\n');
}
