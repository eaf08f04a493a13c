import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TargetsSchema } from '../../bench/lib/model/targets.js';
import { EventTargetsSchema } from '../../bench/lib/events/targets.js';
import { loadTargetsSection } from '../../bench/lib/shared/targets-file.js';
import { ThroughputTargetsSchema } from '../../bench/lib/throughput/targets.js';
import { PatrolError } from '../../src/errors.js';

const FILE = fileURLToPath(new URL('../../bench/targets.json', import.meta.url));

describe('bench/targets.json, one loader for every benchmark', () => {
  it('reads each benchmark its own section of the committed file', () => {
    expect(loadTargetsSection(FILE, 'model', TargetsSchema).ap50).toHaveProperty('garbage');
    expect(loadTargetsSection(FILE, 'events', EventTargetsSchema).types).toContain('burning');
    expect(loadTargetsSection(FILE, 'throughput', ThroughputTargetsSchema).minStreamsPerCore).toBeGreaterThan(0);
  });

  it('names the file, the missing key and the fix', () => {
    expect(() => loadTargetsSection(FILE, 'nope', TargetsSchema)).toThrow(/has no "nope" section/);
    expect(() => loadTargetsSection('/nonexistent/targets.json', 'model', TargetsSchema)).toThrow(PatrolError);
    expect(() => loadTargetsSection('/nonexistent/targets.json', 'model', TargetsSchema)).toThrow(/cannot be read/);
  });
});
