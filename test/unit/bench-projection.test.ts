import { describe, expect, it } from 'vitest';
import { coresFor, fitLine, project, streamsPerCore } from '../../bench/lib/throughput/projection.js';

describe('bench: projection to a fleet', () => {
  it('streams per core and cores for N streams', () => {
    expect(streamsPerCore(10)).toBe(100);
    expect(streamsPerCore(0)).toBeNaN();
    expect(coresFor(1000, 10)).toBe(10);
    expect(coresFor(1000, 7.5, 0.02)).toBeCloseTo(7.52);
  });

  it('least-squares line; one point goes through the origin', () => {
    const fit = fitLine([4, 8, 16], [260, 320, 440]);
    expect(fit.slope).toBeCloseTo(15);
    expect(fit.intercept).toBeCloseTo(200);
    expect(fit.n).toBe(3);
    expect(fitLine([8], [400])).toEqual({ slope: 50, intercept: 0, n: 1 });
    expect(fitLine([], []).n).toBe(0);
    expect(fitLine([4, 4], [10, 20])).toEqual({ slope: 15 / 4, intercept: 0, n: 2 });
    expect(fitLine([1, NaN, 3], [2, 5, 6]).n).toBe(2);
    expect(() => fitLine([1], [])).toThrow(RangeError);
  });

  it('sums stages, adds the control plane, projects memory', () => {
    const p = project({
      streams: 1000,
      stages: [
        { stage: 'ingest', cpuMsPerCameraSecond: 3 },
        { stage: 'inference', cpuMsPerCameraSecond: 6 },
      ],
      controlPlaneCores: 0.03,
      memoryFit: { slope: 15, intercept: 200, n: 3 },
    });
    expect(p.cpuMsPerCameraSecond).toBe(9);
    expect(p.streamsPerCore).toBeCloseTo(111.1, 1);
    expect(p.streamCores).toBe(9);
    expect(p.totalCores).toBeCloseTo(9.03);
    expect(p.perStageCores).toEqual([
      { stage: 'ingest', cores: 3 },
      { stage: 'inference', cores: 6 },
    ]);
    expect(p.memoryMb).toBe(15_200);
  });

  it('no memory projection without a usable fit', () => {
    expect(project({ streams: 10, stages: [] }).memoryMb).toBeUndefined();
    expect(project({ streams: 10, stages: [], memoryFit: { slope: NaN, intercept: NaN, n: 0 } }).memoryMb).toBeUndefined();
  });
});
