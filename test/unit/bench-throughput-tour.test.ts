import { describe, expect, it } from 'vitest';
import { checkThroughputTargets, ThroughputTargetsSchema } from '../../bench/lib/throughput/targets.js';
import { tourParagraph } from '../../bench/lib/throughput/report.js';
import { projectTour, type TourCost } from '../../bench/lib/throughput/tour-cost.js';

describe('bench:throughput tour row', () => {
  it('projects one worker from the visit duration and CPU per visit: the smaller of the slot and CPU bounds', () => {
    // 32 slots, 0.5 s a visit: 64 visits/s by the slots; 2 cores at 10 CPU-ms a visit: 200/s by the CPU.
    const p = projectTour({ meanVisitSec: 0.5, cpuMsPerVisit: 10 }, 32, 2, 60);
    expect(p.bound).toBe('slots');
    expect(p.camerasPerRevisit).toBeCloseTo(64 * 60);
    const cpu = projectTour({ meanVisitSec: 0.5, cpuMsPerVisit: 100 }, 32, 2, 60);
    expect(cpu.bound).toBe('cpu');
    expect(cpu.camerasPerRevisit).toBeCloseTo(20 * 60);
  });

  it('checks the tour target when bench/targets.json has one, and counts an unmeasured tour as missed', () => {
    const base = { minStreamsPerCore: 100, controlPlane: { cameras: 1000, maxCoreShare: 0.05 }, maxEventLatencyP95Ms: 3000, maxRssMbPerStream: 20, maxIntervalMissRatio: 0.01 };
    expect(checkThroughputTargets({}, ThroughputTargetsSchema.parse(base)).some((c) => c.id.startsWith('tour-'))).toBe(false);
    const t = ThroughputTargetsSchema.parse({ ...base, tour: { cameras: 1000, revisitSec: 60 } });
    const run = { mounts: 1000, revisitSec: 60, limitSec: 90, missRatio: 0, projectedCameras: 2400, note: 'n' };
    const checks = checkThroughputTargets({ tour: { ...run, camerasOnTime: 1000 } }, t);
    const met = checks.find((c) => c.id === 'tour-cameras')!;
    expect(met).toMatchObject({ ok: true, value: 1000, target: 1000, op: '>=' });
    expect(met.what).toContain('every 60 s');
    expect(met.what).toContain('measured');
    expect(checks.find((c) => c.id === 'tour-misses')).toMatchObject({ ok: true, value: 0 });
    expect(checks.find((c) => c.id === 'tour-capacity-projection')).toMatchObject({ ok: true, value: 2400 });
    expect(checks.find((c) => c.id === 'tour-capacity-projection')!.what).toContain('projection');
    // One camera late, or too many late visits: missed, whatever the projection says.
    expect(checkThroughputTargets({ tour: { ...run, camerasOnTime: 999 } }, t).find((c) => c.id === 'tour-cameras')!.ok).toBe(false);
    expect(checkThroughputTargets({ tour: { ...run, camerasOnTime: 1000, missRatio: 0.02 } }, t).find((c) => c.id === 'tour-misses')!.ok).toBe(false);
    for (const id of ['tour-cameras', 'tour-misses', 'tour-capacity-projection']) {
      expect(checkThroughputTargets({}, t).find((c) => c.id === id)).toMatchObject({ ok: false, note: 'not measured' });
    }
  });

  it('scales a smaller run (the quick mode) at the same visits per second and labels it a projection', () => {
    const base = { minStreamsPerCore: 100, controlPlane: { cameras: 1000, maxCoreShare: 0.05 }, maxEventLatencyP95Ms: 3000, maxRssMbPerStream: 20, maxIntervalMissRatio: 0.01 };
    const t = ThroughputTargetsSchema.parse({ ...base, tour: { cameras: 1000, revisitSec: 60 } });
    const quick = { mounts: 340, revisitSec: 20, limitSec: 30, missRatio: 0, projectedCameras: 2400, note: 'n' };
    const all = checkThroughputTargets({ tour: { ...quick, camerasOnTime: 340 } }, t).find((c) => c.id === 'tour-cameras')!;
    expect(all).toMatchObject({ ok: true, value: 1020 });
    expect(all.what).toContain('projection from a smaller run');
    expect(all.what).toContain('× 60 s');
    expect(all.what).toContain('340 on time of 340 RTSP mounts every 20 s');
    expect(checkThroughputTargets({ tour: { ...quick, camerasOnTime: 330 } }, t).find((c) => c.id === 'tour-cameras')!.ok).toBe(false);
  });
});

describe('bench:throughput tour paragraph', () => {
  const run: TourCost = {
    mounts: 1000, slots: 32, revisitSec: 60, targetRevisitSec: 60, warmupSec: 60, windowSec: 100, misses: 0, missRatio: 0, visits: 1997, failedVisits: 0,
    camerasVisited: 1000, gaps: { cameras: 1000, visited: 1000, onTime: 1000, limitSec: 90, largestGapSec: { p50: 60, p95: 62, max: 62.05 }, worstCamera: 'cam849' },
    camerasWithinRevisit: 129, maxConnections: 32, visitSec: { mean: 1.09, p50: 1.14, p95: 1.96 }, visitsPerSecond: 19.9, cpuMsPerVisit: 8.2, nodeCpuMsPerVisit: 6, poolCpuMsPerVisit: 2.2,
    server: { description: '500 pictures, GOP 50, 704x576', cpuMsPerVisit: 1.5, coreShare: 0.03 },
    projection: projectTour({ meanVisitSec: 1.09, cpuMsPerVisit: 8.2 }, 32, 2, 60),
  };

  it('says what was measured and labels the capacity figure a projection', () => {
    const text = tourParagraph(run).join('\n');
    expect(text).toContain('**measured**: 1000 live RTSP mounts');
    expect(text).toContain('**1000 of 1000**');
    expect(text).toContain('p95 62.00 s, max 62.05 s (cam849)');
    expect(text).toContain('within 60 s itself: 129');
    expect(text).toMatch(/- projection \(not measured\): .* cameras each visited every 60 s/);
    expect(text).not.toContain('smaller run');
  });

  it('says when the run is smaller than the target', () => {
    const text = tourParagraph({ ...run, mounts: 340, revisitSec: 20 }).join('\n');
    expect(text).toContain('a smaller run than the target');
  });
});
