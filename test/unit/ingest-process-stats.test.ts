import { describe, expect, it } from 'vitest';
import { readProcessStats } from '../../src/ingest/process-stats.js';

describe.runIf(process.platform === 'linux')('readProcessStats', () => {
  it('reads CPU time and memory of a live process', () => {
    const before = readProcessStats(process.pid)!;
    const until = Date.now() + 60;
    while (Date.now() < until); // burn a little CPU
    const after = readProcessStats(process.pid)!;
    expect(after.cpuMs).toBeGreaterThanOrEqual(before.cpuMs);
    expect(after.rssBytes).toBeGreaterThan(10 * 1024 * 1024);
    expect(after.privateBytes).toBeGreaterThan(0);
  });

  it('returns undefined for a process that does not exist', () => {
    expect(readProcessStats(2 ** 22 + 7)).toBeUndefined();
  });
});
