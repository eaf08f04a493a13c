import { describe, expect, it } from 'vitest';
import { intervalMisses, type MissInput } from '../../bench/lib/throughput/live-metrics.js';

const S = 1000;
function input(analyzed: Record<string, number[]>, replaced: Record<string, number[]> = {}, extra: Partial<MissInput> = {}): MissInput {
  return {
    analyzed: new Map(Object.entries(analyzed).map(([k, v]) => [k, v.map((x) => x * S)])),
    replaced: new Map(Object.entries(replaced).map(([k, v]) => [k, v.map((x) => x * S)])),
    cameras: Object.keys(analyzed),
    windowStartMs: 100 * S,
    windowEndMs: 160 * S,
    intervalSec: 5,
    ...extra,
  };
}
const every = (from: number, to: number, step: number) => Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, k) => from + k * step);

describe('bench: interval misses', () => {
  it('no miss when every camera is analyzed at its normal 6 s keyframe spacing', () => {
    const r = intervalMisses(input({ a: every(94, 160, 6), b: every(97, 160, 6) }));
    expect(r.misses).toBe(0);
    expect(r.ratio).toBe(0);
    expect(r.spacingMs).toBe(6000);
    expect(r.analyzed).toBe(11 + 10);
  });

  it('a gap over 1.5 × interval counts the frames that should have been in it', () => {
    // 118 → 136 s: frames at 124 and 130 are missing.
    const a = [...every(94, 118, 6), ...every(136, 160, 6)];
    const r = intervalMisses(input({ a, b: every(94, 160, 6) }));
    expect(r.gapMisses).toBe(2);
    expect(r.misses).toBe(2);
    expect(r.worstGapMs).toBe(18_000);
    expect(r.camerasMissing).toBe(1);
    expect(r.ratio).toBeCloseTo(2 / (20 + 2));
  });

  it('a gap of up to 1.5 × interval is no miss', () => {
    const r = intervalMisses(input({ a: [100, 107.5, 115, 122.5, 130, 137.5, 145, 152.5, 160] }, {}, { spacingMs: 6000 }));
    expect(r.misses).toBe(0);
  });

  it('a camera that stopped counts its open trailing gap; one never analyzed misses every slot', () => {
    const r = intervalMisses(input({ a: every(94, 124, 6), dead: [] }, {}, { spacingMs: 6000 }));
    // a: last frame at 124, window ends at 160: 36 s → 6 frames missing. dead: 60 s → 10.
    expect(r.gapMisses).toBe(6 + 10);
    expect(r.camerasMissing).toBe(2);
  });

  it('replacements count, but not twice with the gap they open', () => {
    const a = [...every(94, 124, 6), ...every(136, 160, 6)]; // one frame missing (130), replaced at 130
    const r = intervalMisses(input({ a, b: every(94, 160, 6) }, { a: [130], b: [200] }));
    expect(r.replaced).toBe(1); // b's replacement is outside the window
    expect(r.gapMisses).toBe(1);
    expect(r.misses).toBe(1);
  });

  it('a replacement without a gap (frames came in a burst) is still a miss', () => {
    const r = intervalMisses(input({ a: every(94, 160, 6) }, { a: [141] }));
    expect(r.misses).toBe(1);
    expect(r.ratio).toBeCloseTo(1 / 12);
  });

  it('frames before the window only anchor the first gap', () => {
    const r = intervalMisses(input({ a: [60, 70, 80, ...every(100, 160, 6)] }));
    expect(r.analyzed).toBe(11);
    // 80 → 100 s ends inside the window: 20 s at the 6 s spacing = 2 frames missing; 60 → 80 does not count.
    expect(r.misses).toBe(2);
  });
});
