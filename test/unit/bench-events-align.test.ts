import { describe, expect, it } from 'vitest';
import { alignCamera, onGrid, splitSegments, toVideoSec, type ObservedFrame } from '../../bench/lib/events/align.js';

const T0 = 1_800_000_000_000;
const G = 2000;

/** Keyframes at file times 0, 2, 4 … s; the client's PTS base is arbitrary; wall = T0 + file + latency. */
function frames(fileSecs: number[], ptsBase: number, latency: (i: number) => number): ObservedFrame[] {
  return fileSecs.map((s, i) => ({ wallMs: T0 + s * 1000 + latency(i), ptsMs: ptsBase + s * 1000 }));
}

describe('alignCamera', () => {
  it('recovers exact file times from PTS on the GOP grid, whatever the latency below 1.9 s', () => {
    for (const lat of [0, 60, 350, 900, 1850]) {
      const f = frames([0, 2, 4, 6, 8, 10], 123_456.7, (i) => lat + (i % 2) * 40);
      const a = alignCamera(f, T0, { gridMs: G });
      expect(a.snapped).toBe(true);
      expect(f.map((x) => toVideoSec(a, x.wallMs))).toEqual([0, 2, 4, 6, 8, 10]);
      expect(a.latencyMs.p50).toBeGreaterThanOrEqual(lat);
      expect(a.latencyMs.p50).toBeLessThanOrEqual(lat + 40);
    }
  });

  it('moves K up a GOP when the fastest frame took longer than a GOP but the end of the video was seen', () => {
    // 20 s video, keyframes 0..18 s, every frame 2.3–2.5 s late: the lower bound alone would map them 2 s late.
    const f = frames([0, 2, 4, 6, 8, 10, 12, 14, 16, 18], 4321, (i) => 2300 + (i % 3) * 100);
    expect(alignCamera(f, T0, { gridMs: G }).videoSecByWall.get(f[0]!.wallMs)).toBe(2);
    const a = alignCamera(f, T0, { gridMs: G, maxFileMs: 19_000 });
    expect(f.map((x) => toVideoSec(a, x.wallMs))).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
    expect(a.latencyMs.min).toBe(2300);
  });

  it('is robust to a late burst at connect (ffmpeg probing)', () => {
    // The first three keyframes come out together (a few ms apart) 5.5 s after the feeder started.
    const f = frames([0, 2, 4, 6, 8, 10, 12, 14, 16], 9_000, (i) => (i < 3 ? 5500 - i * 2000 + i * 3 : 300));
    const a = alignCamera(f, T0, { gridMs: G });
    expect(f.map((x) => toVideoSec(a, x.wallMs))).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16]);
    expect(a.latencyMs.p50).toBe(300);
  });

  it('starts a new segment at each (re)connection the source reported', () => {
    const first = frames([0, 2, 4, 6], 50_000, () => 400);
    // After the reconnect the PTS happen to run on in step with the wall clock (another grid phase): only the status tells.
    const second = frames([20, 22, 24, 26], 50_700, () => 600);
    const a = alignCamera([...first, ...second], T0, { gridMs: G, connectedAtMs: [T0 + 300, T0 + 19_000] });
    expect(a.segments).toHaveLength(2);
    expect([...first, ...second].map((x) => toVideoSec(a, x.wallMs))).toEqual([0, 2, 4, 6, 20, 22, 24, 26]);
  });

  it('handles a reconnect (PTS restarts) as a new segment', () => {
    const first = frames([0, 2, 4, 6], 50_000, () => 400);
    // After a reconnect at ~20 s the client's PTS start near 0 again.
    const second = frames([20, 22, 24, 26], -20_000 + 700, () => 600);
    const a = alignCamera([...second, ...first], T0, { gridMs: G });
    expect(a.segments).toHaveLength(2);
    expect([...first, ...second].map((x) => toVideoSec(a, x.wallMs))).toEqual([0, 2, 4, 6, 20, 22, 24, 26]);
  });

  it('keeps snapping when one stray frame is off the grid (the next loop of the feeder)', () => {
    const f = [...frames([0, 2, 4, 6, 8, 10, 12, 14, 16, 18], 777, () => 400), { wallMs: T0 + 19_040 + 400, ptsMs: 777 + 19_040 }];
    const a = alignCamera(f, T0, { gridMs: G });
    expect(a.snapped).toBe(true);
    expect(f.map((x) => toVideoSec(a, x.wallMs))).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 19.04]);
  });

  it('falls back to latency 0 when the PTS are not on one grid', () => {
    const f: ObservedFrame[] = [0, 1.3, 2.9, 4.1].map((s) => ({ wallMs: T0 + s * 1000 + 500, ptsMs: 1000 + s * 1000 }));
    const a = alignCamera(f, T0, { gridMs: G });
    expect(a.snapped).toBe(false);
    expect(toVideoSec(a, f[1]!.wallMs)).toBeCloseTo(1.8, 6);
  });

  it('keeps the first frame of a wall-clock ms (the one the scorer scored)', () => {
    const f: ObservedFrame[] = [
      { wallMs: T0 + 5000, ptsMs: 0 },
      { wallMs: T0 + 5000, ptsMs: 2000 },
      { wallMs: T0 + 6300, ptsMs: 6000 },
      { wallMs: T0 + 8300, ptsMs: 8000 },
      { wallMs: T0 + 10300, ptsMs: 10000 },
    ];
    const a = alignCamera(f, T0, { gridMs: G });
    expect(toVideoSec(a, T0 + 5000)).toBe(0);
  });

  it('uses elapsed wall time when there is no PTS at all', () => {
    const f: ObservedFrame[] = [{ wallMs: T0 + 3000, ptsMs: Number.NaN }];
    const a = alignCamera(f, T0, { gridMs: G });
    expect(toVideoSec(a, T0 + 3000)).toBe(3);
  });

  it('maps a wall time between frames from the nearest analyzed frame', () => {
    const f = frames([0, 2, 4], 0, () => 300);
    const a = alignCamera(f, T0, { gridMs: G });
    expect(toVideoSec(a, T0 + 2300 + 500)).toBeCloseTo(2.5, 6);
  });
});

describe('splitSegments / onGrid', () => {
  it('splits when PTS go backwards or drift from the wall clock', () => {
    const s = splitSegments([
      { wallMs: 0, ptsMs: 100 },
      { wallMs: 2000, ptsMs: 2100 },
      { wallMs: 4000, ptsMs: 50 },
      { wallMs: 6000, ptsMs: 2050 },
      { wallMs: 8000, ptsMs: 60_000 },
    ]);
    expect(s.map((x) => x.length)).toEqual([2, 2, 1]);
  });

  it('accepts residues near the grid edge circularly', () => {
    expect(onGrid([1999, 4001, 6000], 2000, 100)).toBe(true);
    expect(onGrid([0, 2500], 2000, 100)).toBe(false);
  });
});
