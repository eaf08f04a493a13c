import { describe, expect, it } from 'vitest';
import { coreShare, cpuMsPerCameraSecond, parseProcStat, parseStatusKb, ticksToMs, treeDelta, type TreeSnapshot } from '../../bench/lib/throughput/cpu.js';
import { percentile, summarize } from '../../bench/lib/shared/percentile.js';

describe('bench: /proc parsing', () => {
  it('reads utime, stime, cutime, cstime and ppid from /proc/<pid>/stat', () => {
    const line = '4242 (ffmpeg) S 17 4242 17 0 -1 4194304 1500 0 0 0 250 75 12 3 20 0 1 0 123456 272000000 13000 18446744073709551615';
    expect(parseProcStat(line)).toEqual({ pid: 4242, comm: 'ffmpeg', state: 'S', ppid: 17, utime: 250, stime: 75, cutime: 12, cstime: 3 });
  });

  it('counts fields from the last parenthesis: a command name may hold spaces and ")"', () => {
    const line = '7 (my (odd) name) R 1 7 7 0 -1 0 0 0 0 0 9 8 7 6 20 0 1 0 1 1 1';
    const s = parseProcStat(line);
    expect(s.comm).toBe('my (odd) name');
    expect([s.state, s.ppid, s.utime, s.stime, s.cutime, s.cstime]).toEqual(['R', 1, 9, 8, 7, 6]);
  });

  it('rejects text that is not a stat line', () => {
    expect(() => parseProcStat('garbage')).toThrow(/stat/);
  });

  it('reads kB fields of /proc/<pid>/status', () => {
    const status = 'Name:\tffmpeg\nVmPeak:\t  300000 kB\nVmRSS:\t   51234 kB\nRssAnon:\t   12000 kB\nRssFile:\t   39234 kB\n';
    expect(parseStatusKb(status, 'VmRSS')).toBe(51234);
    expect(parseStatusKb(status, 'RssAnon')).toBe(12000);
    expect(parseStatusKb(status, 'VmSwap')).toBeUndefined();
  });

  it('converts ticks at the given USER_HZ', () => {
    expect(ticksToMs(250, 100)).toBe(2500);
    expect(ticksToMs(3, 1000)).toBe(3);
  });
});

describe('bench: CPU delta of a process tree', () => {
  const snap = (selfMs: number, reapedMs: number, children: Array<[number, number]>): TreeSnapshot => ({ selfMs, reapedMs, children: new Map(children) });

  it('counts children alive at both snapshots as after − before', () => {
    const d = treeDelta(snap(100, 0, [[1, 50], [2, 70]]), snap(160, 0, [[1, 80], [2, 100]]));
    expect(d).toEqual({ selfMs: 60, childrenMs: 60, started: [], exited: [] });
  });

  it('counts a child started in between with all its CPU', () => {
    const d = treeDelta(snap(0, 0, [[1, 10]]), snap(0, 0, [[1, 20], [3, 15]]));
    expect(d.childrenMs).toBe(25);
    expect(d.started).toEqual([3]);
  });

  it('counts an exited child through the reaped time, less what it had used before', () => {
    // Child 2 used 40 ms before the window and 100 ms over its whole life: 60 ms fall in the window.
    const d = treeDelta(snap(0, 500, [[1, 10], [2, 40]]), snap(0, 600, [[1, 30]]));
    expect(d.childrenMs).toBe(20 + 60);
    expect(d.exited).toEqual([2]);
  });

  it('ignores reaped time when no measured child exited (another child of the parent)', () => {
    const d = treeDelta(snap(0, 500, [[1, 10]]), snap(0, 900, [[1, 30]]));
    expect(d.childrenMs).toBe(20);
  });

  it('per camera-second and core share', () => {
    expect(cpuMsPerCameraSecond(800, 8, 20)).toBe(5);
    expect(cpuMsPerCameraSecond(800, 0, 20)).toBeNaN();
    expect(coreShare(50, 1000)).toBe(0.05);
    expect(coreShare(50, 0)).toBeNaN();
  });
});

describe('bench: percentiles', () => {
  it('nearest rank', () => {
    const xs = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
    expect(percentile(xs, 50)).toBe(5);
    expect(percentile(xs, 95)).toBe(10);
    expect(percentile(xs, 90)).toBe(9);
    expect(percentile(xs, 0)).toBe(1);
    expect(percentile(xs, 100)).toBe(10);
    expect(percentile([7], 95)).toBe(7);
  });

  it('ignores non-finite samples; empty gives NaN', () => {
    expect(percentile([NaN, 1, Infinity, 3], 50)).toBe(1);
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });

  it('summarize', () => {
    const big = Array.from({ length: 200_000 }, (_, k) => k);
    expect(summarize(big).max).toBe(199_999); // no spread of a huge array
    expect(summarize([2, 4])).toEqual({ n: 2, mean: 3, p50: 2, p95: 4, max: 4 });
    expect(summarize([]).n).toBe(0);
  });
});
