import { describe, expect, it } from 'vitest';
import { tourGaps } from '../../bench/lib/throughput/tour-gaps.js';

const w = { tourStartMs: 0, windowStartMs: 100_000, windowEndMs: 200_000 };

describe('bench:throughput tour gaps', () => {
  it('takes each camera\'s largest gap between analyzed frames ending in the window, and the one open at its end', () => {
    const frames = new Map<string, number[]>([
      ['a', [10_000, 70_000, 130_000, 190_000]], // 60 s apart; 10 s open at the end
      ['b', [50_000, 160_000]], // 110 s: late
      ['c', [195_000, 30_000, 90_000, 150_000]], // unsorted input; 60 s
    ]);
    const g = tourGaps(frames, ['a', 'b', 'c'], w, 62);
    expect(g).toMatchObject({ cameras: 3, visited: 3, onTime: 2, limitSec: 62, worstCamera: 'b' });
    expect(g.largestGapSec.max).toBe(110);
    expect(g.largestGapSec.p50).toBe(60);
  });

  it('counts a camera not seen again before the window ends as late, and one never visited as unvisited', () => {
    const frames = new Map<string, number[]>([
      ['late', [60_000, 120_000]], // then nothing for 80 s
      ['warmup-only', [90_000]],
    ]);
    const g = tourGaps(frames, ['late', 'warmup-only', 'never'], w, 62);
    expect(g).toMatchObject({ visited: 1, onTime: 0 });
    expect(g.largestGapSec.max).toBe(200);
    expect(g.worstCamera).toBe('never');
  });

  it('ignores frames after the window and measures the first gap from the start of the tour', () => {
    const frames = new Map<string, number[]>([['a', [105_000, 160_000, 230_000]]]);
    const g = tourGaps(frames, ['a'], w, 200);
    expect(g.largestGapSec.max).toBe(105);
    expect(g.onTime).toBe(1);
  });
});
