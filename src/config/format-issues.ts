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

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')} (a typo? see config/schema.json for the allowed keys)`;
    case 'invalid_type':
      return issue.input === undefined ? `is required (expected ${issue.expected})` : `expected ${issue.expected}, got ${typeof issue.input === 'object' ? JSON.stringify(issue.input) : String(issue.input)}`;
    default:
      return issue.message;
  }
}

/** Turns zod issues into lines a person can act on: file, field path, what was expected, an example fix. */
export function formatConfigIssues(file: string, issues: readonly z.core.$ZodIssue[]): string {
  const lines = [`Invalid configuration in ${file}:`];
  for (const issue of issues.slice(0, 10)) {
    const field = issue.code === 'unrecognized_keys' ? formatPath(issue.path) : formatPath(issue.path);
    lines.push(`  - ${field}: ${describeIssue(issue)}`);
    const last = [...issue.path].reverse().find((p) => typeof p === 'string');
    const example = typeof last === 'string' ? EXAMPLES[last] : undefined;
    if (example) lines.push(`      e.g. ${example}`);
  }
  if (issues.length > 10) lines.push(`  … and ${issues.length - 10} more`);
  return lines.join('\n');
}
