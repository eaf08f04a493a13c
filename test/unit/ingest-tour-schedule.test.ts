import { describe, expect, it } from 'vitest';
import { chooseVisits, dueAt, failed, isMiss, nextWakeAt, released, visited, type TourEntry } from '../../src/ingest/tour-schedule.js';
import { inWindow, localTimeIn, tourPriority } from '../../src/ingest/tour-hours.js';

const entry = (id: string, intervalMs: number, extra: Partial<TourEntry> = {}): TourEntry => ({ id, intervalMs, held: false, visiting: false, ...extra });

interface Sim {
  visits: Map<string, number[]>;
  misses: Map<string, number>;
}

/**
 * A tour on a fake clock: every `stepMs` finished visits are recorded and free slots are filled with
 * chooseVisits; each visit takes `visitMs`. What the runner does, without sockets or timers.
 */
function simulate(entries: TourEntry[], slots: number, visitMs: number, untilMs: number, stepMs = 50, tolerance = 0.5): Sim {
  const byId = new Map(entries.map((e) => [e.id, e]));
  const running = new Map<string, number>();
  const sim: Sim = { visits: new Map(entries.map((e) => [e.id, []])), misses: new Map(entries.map((e) => [e.id, 0])) };
  for (let now = 0; now <= untilMs; now += stepMs) {
    for (const [id, started] of running) {
      if (now - started < visitMs) continue;
      running.delete(id);
      byId.set(id, visited(byId.get(id)!, started));
    }
    for (const id of chooseVisits(byId.values(), slots - running.size, now)) {
      const e = byId.get(id)!;
      if (isMiss(e, now, tolerance)) sim.misses.set(id, sim.misses.get(id)! + 1);
      byId.set(id, { ...e, visiting: true });
      running.set(id, now);
      sim.visits.get(id)!.push(now);
    }
  }
  return sim;
}

const gaps = (ts: number[]): number[] => ts.slice(1).map((t, i) => t - ts[i]!);

describe('tour scheduler', () => {
  it('within capacity visits every camera once per interval, with no misses', () => {
    const cams = Array.from({ length: 10 }, (_, i) => entry(`c${i}`, 10_000));
    const sim = simulate(cams, 2, 1_000, 60_000);
    for (const [id, ts] of sim.visits) {
      expect(ts.length, id).toBeGreaterThanOrEqual(6);
      for (const g of gaps(ts)) expect(g).toBeLessThanOrEqual(10_000 + 50);
      expect(sim.misses.get(id)).toBe(0);
    }
  });

  it('overloaded, degrades every camera alike and starves none, counting the misses', () => {
    // 20 cameras due every 10 s, one slot, 1 s per visit: capacity 1 visit/s for a demand of 2.
    const cams = Array.from({ length: 20 }, (_, i) => entry(`c${i}`, 10_000));
    const sim = simulate(cams, 1, 1_000, 200_000);
    const counts = [...sim.visits.values()].map((ts) => ts.length);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    for (const ts of sim.visits.values()) for (const g of gaps(ts)) expect(g).toBeLessThanOrEqual(20_000 + 100);
    for (const [id, m] of sim.misses) expect(m, id).toBeGreaterThan(5);
  });

  it('visits a hotspot (priority 2: half the interval) twice as often under overload', () => {
    const cams = Array.from({ length: 20 }, (_, i) => entry(`c${i}`, i === 0 ? 5_000 : 10_000));
    const sim = simulate(cams, 1, 1_000, 200_000);
    const hot = sim.visits.get('c0')!.length;
    const others = [...sim.visits.entries()].filter(([id]) => id !== 'c0').map(([, ts]) => ts.length);
    const mean = others.reduce((a, b) => a + b, 0) / others.length;
    expect(hot / mean).toBeGreaterThan(1.7);
    expect(hot / mean).toBeLessThan(2.3);
  });

  it('never-visited cameras go first; held and busy cameras are skipped', () => {
    const list = [entry('old', 10_000, { lastVisitAt: 0 }), entry('new', 10_000), entry('held', 10_000, { held: true }), entry('busy', 10_000, { visiting: true })];
    expect(chooseVisits(list, 5, 20_000)).toEqual(['new', 'old']);
    expect(chooseVisits(list, 1, 20_000)).toEqual(['new']);
    expect(chooseVisits(list, 0, 20_000)).toEqual([]);
    expect(chooseVisits([entry('a', 10_000, { lastVisitAt: 15_000 })], 1, 20_000)).toEqual([]);
    expect(nextWakeAt([entry('a', 10_000, { lastVisitAt: 15_000 }), entry('h', 1_000, { held: true })])).toBe(25_000);
  });

  it('backs a failed camera off, does not count the visit after an outage as a miss, and releases a hold to a fresh interval', () => {
    let e = { ...entry('a', 10_000), visiting: true };
    e = visited(e, 0);
    expect(isMiss(e, 16_000, 0.5)).toBe(true);
    expect(isMiss(e, 14_000, 0.5)).toBe(false);
    e = failed({ ...e, visiting: true }, 40_000);
    expect(dueAt(e)).toBe(40_000);
    expect(chooseVisits([e], 1, 39_000)).toEqual([]);
    expect(chooseVisits([e], 1, 40_000)).toEqual(['a']);
    expect(isMiss(e, 100_000, 0.5)).toBe(false);
    const r = released({ ...e, held: true }, 200_000);
    expect(dueAt(r)).toBe(210_000);
    expect(r.held).toBe(false);
  });

  it('keeps visiting the others while one camera keeps failing', () => {
    const byId = new Map([entry('bad', 5_000), entry('good', 5_000)].map((e) => [e.id, e]));
    const good: number[] = [];
    for (let now = 0; now <= 60_000; now += 100) {
      for (const id of chooseVisits(byId.values(), 1, now)) {
        const e = byId.get(id)!;
        if (id === 'bad') byId.set(id, failed(e, now + 30_000));
        else {
          byId.set(id, visited(e, now));
          good.push(now);
        }
      }
    }
    expect(good.length).toBeGreaterThanOrEqual(12);
  });
});

describe('tour priorities by the hour', () => {
  const at = (weekday: number, hhmm: string) => ({ weekday, minutes: Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3)) });
  it('raises the priority inside a market window, on its days only', () => {
    const tour = { priority: 1, hours: [{ from: '06:00', to: '09:00', priority: 3, days: ['sat' as const, 'sun' as const] }, { from: '17:00', to: '19:00', priority: 2 }] };
    expect(tourPriority(tour, at(5, '07:30'))).toBe(3);
    expect(tourPriority(tour, at(0, '07:30'))).toBe(1);
    expect(tourPriority(tour, at(0, '09:00'))).toBe(1);
    expect(tourPriority(tour, at(2, '18:59'))).toBe(2);
    expect(tourPriority({ ...tour, priority: 4 }, at(5, '07:30'))).toBe(4);
  });
  it('runs a window past midnight, its days naming the evening it starts', () => {
    const h = { from: '22:00', to: '02:00', priority: 2, days: ['fri' as const] };
    expect(inWindow(h, at(4, '23:00'))).toBe(true);
    expect(inWindow(h, at(5, '01:59'))).toBe(true);
    expect(inWindow(h, at(5, '02:00'))).toBe(false);
    expect(inWindow(h, at(5, '23:00'))).toBe(false);
    expect(inWindow(h, at(4, '01:00'))).toBe(false);
  });
  it('reads the local time in the configured time zone', () => {
    // 2026-12-05T00:30:00Z is a Saturday, 08:30 in Shanghai (UTC+8).
    const t = Date.UTC(2026, 11, 5, 0, 30);
    expect(localTimeIn('Asia/Shanghai')(t)).toEqual({ weekday: 5, minutes: 8 * 60 + 30 });
    expect(localTimeIn('UTC')(t)).toEqual({ weekday: 5, minutes: 30 });
  });
});
