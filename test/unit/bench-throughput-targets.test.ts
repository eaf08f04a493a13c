import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseTargetsSection } from '../../bench/lib/shared/targets-file.js';
import { checkThroughputTargets, formatValue, missedLines, type ThroughputMeasured, ThroughputTargetsSchema } from '../../bench/lib/throughput/targets.js';
import { PatrolError } from '../../src/errors.js';

const parseThroughputTargets = (json: unknown) => parseTargetsSection(json, 'throughput', ThroughputTargetsSchema);

const targets = parseThroughputTargets({
  throughput: { minStreamsPerCore: 100, controlPlane: { cameras: 1000, maxCoreShare: 0.05 }, maxEventLatencyP95Ms: 3000, maxRssMbPerStream: 20, maxIntervalMissRatio: 0.01 },
});
const good: ThroughputMeasured = {
  stageSumCpuMsPerCameraSecond: 8,
  live: { k: 64, sustained: true, cpuMsPerCameraSecond: 9.5, missRatio: 0, latencyP95Ms: 400, rssMbPerStream: 18 },
  controlPlane: { cameras: 1000, coreShare: 0.02, publishP95Ms: 12 },
};

describe('bench: throughput targets', () => {
  it('the repository targets file has a valid throughput section', () => {
    const t = parseThroughputTargets(JSON.parse(readFileSync(new URL('../../bench/targets.json', import.meta.url), 'utf8')));
    expect(t.minStreamsPerCore).toBeGreaterThan(0);
    expect(t.controlPlane.cameras).toBe(1000);
  });

  it('rejects a missing or malformed section with a PatrolError', () => {
    expect(() => parseThroughputTargets({ model: {} })).toThrow(PatrolError);
    expect(() => parseThroughputTargets({ throughput: { minStreamsPerCore: -1 } })).toThrow(/throughput\./);
  });

  it('all met', () => {
    const checks = checkThroughputTargets(good, targets);
    expect(checks.every((c) => c.ok)).toBe(true);
    expect(missedLines(checks)).toEqual([]);
    expect(checks.find((c) => c.id === 'streams-per-core-stages')!.value).toBe(125);
  });

  it('names each missed target with its number', () => {
    const checks = checkThroughputTargets(
      { ...good, stageSumCpuMsPerCameraSecond: 12.5, live: { ...good.live!, rssMbPerStream: 31, latencyP95Ms: 3001 }, controlPlane: { cameras: 1000, coreShare: 0.05, publishP95Ms: 10 } },
      targets,
    );
    const missed = checks.filter((c) => !c.ok).map((c) => c.id);
    expect(missed).toEqual(['streams-per-core-stages', 'event-latency-p95', 'rss-per-stream', 'control-plane-share']);
    const lines = missedLines(checks);
    expect(lines[0]).toMatch(/streams per core.*80 streams\/core.*12\.50 CPU-ms per camera-second/);
    expect(lines[3]).toMatch(/5\.00% of one core/); // the limit is strict: < 5%
  });

  it('boundaries: ≤ and ≥ include the limit', () => {
    const checks = checkThroughputTargets({ ...good, stageSumCpuMsPerCameraSecond: 10, live: { ...good.live!, missRatio: 0.01, latencyP95Ms: 3000, rssMbPerStream: 20 } }, targets);
    expect(checks.every((c) => c.ok)).toBe(true);
  });

  it('a target that was not measured is missed, not passed', () => {
    const checks = checkThroughputTargets({}, targets);
    expect(checks.every((c) => !c.ok)).toBe(true);
    expect(missedLines(checks).every((l) => l.includes('not measured'))).toBe(true);
  });

  it('a control plane measured at fewer cameras than the target does not count', () => {
    const checks = checkThroughputTargets({ ...good, controlPlane: { cameras: 100, coreShare: 0.001, publishP95Ms: 1 } }, targets);
    const cp = checks.find((c) => c.id === 'control-plane-share')!;
    expect(cp.ok).toBe(false);
    expect(cp.note).toMatch(/100 cameras only/);
  });

  it('formats values by unit', () => {
    expect(formatValue({ value: 0.0123, unit: 'ratio' })).toBe('1.23%');
    expect(formatValue({ value: 0.021, unit: 'core' })).toBe('2.10% of one core');
    expect(formatValue({ value: 137.4, unit: 'streams/core' })).toBe('137 streams/core');
    expect(formatValue({ value: NaN, unit: 'ms' })).toBe('not measured');
  });
});
