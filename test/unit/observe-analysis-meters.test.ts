import { describe, expect, it } from 'vitest';
import type { Frame } from '../../src/contracts/frame.js';
import { FrameMailbox } from '../../src/pipeline/frame-mailbox.js';
import { BudgetMeter, IntervalTracker } from '../../src/observe/analysis-meters.js';

/**
 * The patrol scheduler of one worker is the FrameMailbox (one slot per camera, the freshest frame wins,
 * the longest-waiting camera is analyzed first) fed by sources that hand over one frame per interval.
 * These tests drive it in simulated time — cameras deliver frames on their intervals, a detector with a
 * fixed cost per frame takes batches whenever it is free — and check the two promises of the scheduler:
 * every camera analyzed within its interval while capacity allows, and fair degradation when it does not.
 */

interface Cam {
  id: string;
  intervalMs: number;
  /** First frame at this time (cameras do not all tick together). */
  phaseMs: number;
}

interface SimResult {
  /** Per camera: when each analysis ran (simulated ms). */
  analyzedAt: Map<string, number[]>;
  /** Per camera: how old the analyzed frame was (ms from capture to analysis). */
  staleness: Map<string, number[]>;
  replaced: number;
  delivered: number;
}

function frame(cameraId: string, t: number): Frame {
  return { cameraId, timestamp: t, ptsMs: t, data: Buffer.alloc(0), pixelFormat: 'bgr24', width: 0, height: 0, contentWidth: 0, contentHeight: 0, sourceWidth: 0, sourceHeight: 0 };
}

function simulate(cams: Cam[], opts: { costMs: number; batch: number; durationMs: number }): SimResult {
  let now = 0;
  const mailbox = new FrameMailbox(() => now);
  const next = new Map(cams.map((c) => [c.id, c.phaseMs]));
  const analyzedAt = new Map(cams.map((c) => [c.id, [] as number[]]));
  const staleness = new Map(cams.map((c) => [c.id, [] as number[]]));
  let busyUntil = 0;
  let delivered = 0;
  for (now = 0; now <= opts.durationMs; now++) {
    for (const c of cams) {
      if (now >= next.get(c.id)!) {
        void mailbox.submit(frame(c.id, now));
        delivered++;
        next.set(c.id, next.get(c.id)! + c.intervalMs);
      }
    }
    if (now >= busyUntil && mailbox.size > 0) {
      const batch = mailbox.take(opts.batch);
      busyUntil = now + opts.costMs * batch.length;
      for (const b of batch) {
        analyzedAt.get(b.frame.cameraId)!.push(busyUntil);
        staleness.get(b.frame.cameraId)!.push(busyUntil - b.frame.timestamp);
        b.done();
      }
    }
  }
  return { analyzedAt, staleness, replaced: mailbox.replaced, delivered };
}

function gaps(times: number[]): number[] {
  return times.slice(1).map((t, i) => t - times[i]!);
}

const cams = (n: number, intervalMs: number): Cam[] => Array.from({ length: n }, (_, i) => ({ id: `cam${i}`, intervalMs, phaseMs: (i * 37) % intervalMs }));

describe('patrol scheduler (FrameMailbox) in simulated time', () => {
  it('within capacity, every camera is analyzed once per interval and nothing is dropped', () => {
    // 30 cameras every 5 s = 6 frames/s; the detector does 20 frames/s (50 ms each): 30 % busy.
    const r = simulate(cams(30, 5_000), { costMs: 50, batch: 1, durationMs: 60_000 });
    expect(r.replaced).toBe(0);
    for (const [id, times] of r.analyzedAt) {
      expect(times.length, id).toBeGreaterThanOrEqual(12);
      for (const g of gaps(times)) expect(g, id).toBeLessThanOrEqual(5_000 * 1.5);
      // Analyzed soon after capture: at worst behind every other camera once.
      expect(Math.max(...r.staleness.get(id)!), id).toBeLessThanOrEqual(30 * 50);
    }
  });

  it('mixed intervals (burning 2 s, dumping 5 s, stall 10 s) within capacity: each kept on its own interval', () => {
    const mixed: Cam[] = [
      ...Array.from({ length: 10 }, (_, i) => ({ id: `burn${i}`, intervalMs: 2_000, phaseMs: i * 100 })),
      ...Array.from({ length: 20 }, (_, i) => ({ id: `dump${i}`, intervalMs: 5_000, phaseMs: i * 150 })),
      ...Array.from({ length: 40 }, (_, i) => ({ id: `stall${i}`, intervalMs: 10_000, phaseMs: i * 200 })),
    ];
    // Demand: 5 + 4 + 4 = 13 frames/s; capacity 1000/60 ≈ 16.7 frames/s (78 % busy).
    const r = simulate(mixed, { costMs: 60, batch: 1, durationMs: 60_000 });
    expect(r.replaced).toBe(0);
    for (const c of mixed) for (const g of gaps(r.analyzedAt.get(c.id)!)) expect(g, c.id).toBeLessThanOrEqual(c.intervalMs * 1.5);
  });

  it('at 2× overload every camera still gets its fair share (longest waiting first), none starves', () => {
    // 30 cameras every 1 s = 30 frames/s; the detector does 15 frames/s.
    const r = simulate(cams(30, 1_000), { costMs: 66, batch: 1, durationMs: 60_000 });
    const counts = [...r.analyzedAt.values()].map((t) => t.length);
    const mean = counts.reduce((a, b) => a + b, 0) / counts.length;
    expect(mean).toBeGreaterThan(25); // ≈ 15 frames/s × 60 s / 30 cameras = 30
    for (const n of counts) expect(Math.abs(n - mean)).toBeLessThanOrEqual(2);
    // Fair degradation: every camera's gaps stretch alike (≈ 2 intervals), none waits much longer.
    for (const [id, times] of r.analyzedAt) expect(Math.max(...gaps(times)), id).toBeLessThanOrEqual(3_000);
    // What was not analyzed was replaced by a fresher frame (a miss), never queued up: analyzed frames stay fresh.
    expect(r.replaced).toBeGreaterThan(r.delivered * 0.4);
    for (const [id, s] of r.staleness) expect(Math.max(...s), id).toBeLessThanOrEqual(2_100);
  });

  it('under overload a slow-interval camera is not starved by fast ones', () => {
    const mixed: Cam[] = [...Array.from({ length: 20 }, (_, i) => ({ id: `fast${i}`, intervalMs: 500, phaseMs: i * 20 })), { id: 'slow', intervalMs: 10_000, phaseMs: 0 }];
    // Demand 40 frames/s against 10 frames/s capacity.
    const r = simulate(mixed, { costMs: 100, batch: 1, durationMs: 60_000 });
    const slow = r.analyzedAt.get('slow')!;
    expect(slow.length).toBeGreaterThanOrEqual(5);
    // The slow camera's frame waits behind at most one round of the others (20 × 100 ms).
    for (const s of r.staleness.get('slow')!) expect(s).toBeLessThanOrEqual(2_100);
  });

  it('batches take the longest-waiting cameras first', () => {
    let now = 0;
    const mailbox = new FrameMailbox(() => now);
    for (const [id, t] of [['c', 30], ['a', 10], ['d', 40], ['b', 20]] as const) {
      now = t;
      void mailbox.submit(frame(id, t));
    }
    // A fresher frame of `a` keeps a's place in line (it has waited since 10).
    now = 50;
    void mailbox.submit(frame('a', 50));
    expect(mailbox.take(3).map((x) => x.frame.cameraId)).toEqual(['a', 'b', 'c']);
    expect(mailbox.take(3).map((x) => x.frame.cameraId)).toEqual(['d']);
    expect(mailbox.replaced).toBe(1);
  });
});

describe('IntervalTracker', () => {
  it('counts an analysis later than 1.5 × the interval as a miss; the first one and resets are not', () => {
    const t = new IntervalTracker();
    expect(t.record('c', 5_000, 0)).toBe(false);
    expect(t.record('c', 5_000, 7_000)).toBe(false);
    expect(t.record('c', 5_000, 15_000)).toBe(true);
    t.reset('c');
    expect(t.record('c', 5_000, 60_000)).toBe(false);
    expect(t.misses.get('c')).toBe(1);
    expect(t.ageMs('c', 61_000)).toBe(1_000);
    t.forget('c');
    expect(t.ageMs('c', 61_000)).toBeUndefined();
  });
});

describe('BudgetMeter', () => {
  it('measures ms per frame (EWMA), capacity, demand and utilization', () => {
    const b = new BudgetMeter(0.5);
    expect(b.capacityFps()).toBeUndefined();
    b.batch(1, 40);
    expect(b.capacityFps()).toBeCloseTo(25, 6);
    b.batch(4, 80); // 20 ms per frame
    expect(b.perFrameMs).toBeCloseTo(30, 6);
    const demand = BudgetMeter.demandFps([2_000, 5_000, 10_000, 10_000]);
    expect(demand).toBeCloseTo(0.5 + 0.2 + 0.1 + 0.1, 6);
    expect(b.utilization(demand)).toBeCloseTo(0.9 * 0.03, 6);
    b.batch(0, 10);
    b.batch(1, Number.NaN);
    expect(b.perFrameMs).toBeCloseTo(30, 6);
  });
});
