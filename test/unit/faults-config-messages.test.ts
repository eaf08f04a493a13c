import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { allowedKeysAt, closestKey } from '../../src/config/format-issues.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { PatrolError } from '../../src/errors.js';

/** Messages for the config mistakes people make by hand (issue 8): each names the thing and the fix. */

const base = `cameras:
  - id: cam-01
    url: file://clip.mp4
    zones:
      - id: sidewalk
        polygon: [[0.1, 0.5], [0.9, 0.5], [0.9, 1.0], [0.1, 1.0]]
        violations: [stall]
detector:
  manifest: m.json
`;

function messageOf(text: string): PatrolError {
  try {
    parseConfig(text, 'site.yaml', {});
  } catch (err) {
    if (err instanceof PatrolError) return err;
    throw err;
  }
  throw new Error('expected a PatrolError');
}

describe('config messages', () => {
  it('finds the allowed keys through arrays, defaults and optionals', () => {
    expect(allowedKeysAt(ConfigSchema, [])).toContain('cameras');
    expect(allowedKeysAt(ConfigSchema, ['cameras', 0])).toContain('intervalSec');
    expect(allowedKeysAt(ConfigSchema, ['cameras', 0, 'zones', 3])).toContain('polygon');
    expect(allowedKeysAt(ConfigSchema, ['rules', 'stall'])).toContain('dwellSec');
    expect(allowedKeysAt(ConfigSchema, ['fleet'])).toContain('leaseTtlSec');
    expect(allowedKeysAt(ConfigSchema, ['cameras', 0, 'url'])).toBeUndefined();
    expect(allowedKeysAt(undefined, ['x'])).toBeUndefined();
  });

  it('suggests the key a typo most likely meant, and nothing for an unrelated word', () => {
    const cam = allowedKeysAt(ConfigSchema, ['cameras', 0])!;
    expect(closestKey('intervalsec', cam)).toBe('intervalSec');
    expect(closestKey('zone', cam)).toBe('zones');
    expect(closestKey('violation', cam)).toBe('violations');
    expect(closestKey('dwell', allowedKeysAt(ConfigSchema, ['rules', 'stall'])!)).toBe('dwellSec');
    expect(closestKey('password', cam)).toBeUndefined();
  });

  it('an unknown key: its place, the suggestion and the allowed keys, without an unrelated example', () => {
    const err = messageOf(base.replace('        violations: [stall]', '        violation: [stall]'));
    expect(err.message).toContain("cameras[0].zones[0]: unknown key 'violation' (did you mean 'violations'?) — allowed here: id, name, polygon, violations, anchor, minOverlap");
    expect(err.message).not.toMatch(/e\.g\. cameras:/);
  });

  it('a coordinate out of range: bound, value and unit', () => {
    const err = messageOf(base.replace('[0.9, 1.0]', '[1.2, 1.0]'));
    expect(err.message).toContain('cameras[0].zones[0].polygon[2][0]: expected a number at most 1, got 1.2 (coordinates are fractions of the picture, 0 to 1)');
  });

  it('a value of the wrong type is not reported as missing', () => {
    const err = messageOf(base.replace('    zones:', '    enabled: "yes"\n    zones:'));
    expect(err.message).toContain('cameras[0].enabled: expected boolean, got "yes"');
    expect(messageOf(base.replace('  manifest: m.json\n', '  threads: 2\n')).message).toContain('detector.manifest: is required (expected string)');
  });

  it('invalid YAML: the position once, the lines with the caret, a fix for the cause', () => {
    const err = messageOf('cameras:\n  - id: a\n    url: file://x.mp4\n   zones: []\n');
    const [first, ...rest] = err.message.split('\n');
    expect(first).toBe('site.yaml is not valid YAML at line 4, column 1: Sequence item without - indicator');
    expect(rest.join('\n')).toContain('   zones: []');
    expect(rest.at(-1)?.trim()).toBe('^');
    expect(err.hint).toMatch(/Line up the marked line/);
    expect(messageOf('a: 1\na: 2\n').hint).toMatch(/repeated key/);
  });

  it('multi-line examples stay indented under "e.g."', () => {
    const err = messageOf('cameras: []\ndetector:\n  manifest: m.json\n');
    const lines = err.message.split('\n');
    const at = lines.findIndex((l) => l.includes('e.g. cameras:'));
    expect(at).toBeGreaterThan(0);
    expect(lines[at + 1]).toMatch(/^ {11}/);
  });
});
