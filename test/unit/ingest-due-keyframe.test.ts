import { describe, expect, it } from 'vitest';
import { DueKeyframe } from '../../src/ingest/due-keyframe.js';

/** Keyframes of a camera whose GOP is `gopMs`, arriving on the wall clock from t = 0 (stream time = wall time). */
function run(intervalMs: number, gopMs: number, untilMs: number, timerDriven = true): number[] {
  const due = new DueKeyframe<string>(intervalMs);
  const taken: number[] = [];
  let timerAt: number | undefined;
  const keep = (t: number, k: { receivedAt: number } | undefined): void => {
    if (!k) return;
    taken.push(k.receivedAt);
    timerAt = timerDriven ? due.nextDueAt : undefined;
  };
  // Events in time order: keyframe arrivals and the due timer (what native-source arms).
  for (let t = 0; t <= untilMs; t += 50) {
    if (timerAt !== undefined && t >= timerAt) {
      timerAt = undefined;
      keep(t, due.take(t));
    }
    if (t % gopMs === 0) keep(t, due.offer(`kf@${t}`, t, t));
  }
  return taken;
}

describe('DueKeyframe: which keyframe is analyzed, and when', () => {
  it('takes the first keyframe at once, then the newest keyframe held when due: one per interval on average', () => {
    // GOP 2 s, interval 5 s: due at 5 → the keyframe of 4 s; due at 10 → 10 arrives with the timer; due 15 → 14 …
    const taken = run(5_000, 2_000, 30_000);
    expect(taken.slice(0, 4)).toEqual([0, 4_000, 10_000, 14_000]);
    const span = taken.at(-1)! - taken[0]!;
    expect(span / (taken.length - 1)).toBeGreaterThan(4_500);
    expect(span / (taken.length - 1)).toBeLessThan(5_500);
  });

  it('never hands over the same keyframe twice, nor one older than the last taken', () => {
    const due = new DueKeyframe<string>(1_000);
    expect(due.offer('a', 0, 0)?.keyframe).toBe('a');
    expect(due.take(5_000)).toBeUndefined(); // nothing new held
    expect(due.offer('b', 2_000, 5_100)?.keyframe).toBe('b'); // due long ago: taken on arrival
  });

  it('keeps only the newest keyframe while the camera is not due', () => {
    const due = new DueKeyframe<string>(9_000);
    due.offer('k0', 0, 0);
    for (let i = 1; i <= 4; i++) expect(due.offer(`k${i}`, i * 2_000, i * 2_000)).toBeUndefined();
    const t = due.take(9_000);
    expect(t?.keyframe).toBe('k4');
    expect(t?.receivedAt).toBe(8_000); // the frame is stamped with its arrival, not the take
  });

  it('at the due time, waits for a keyframe expected about now rather than take the one a GOP old', () => {
    const due = new DueKeyframe<string>(10_000);
    due.offer('k0', 0, 0);
    for (let i = 1; i <= 4; i++) due.offer(`k${i}`, i * 2_000, i * 2_000);
    expect(due.take(10_000)).toBeUndefined(); // k5 is expected at 10 s
    expect(due.offer('k5', 10_000, 10_050)?.keyframe).toBe('k5');
  });

  it('a 5 s GOP at a 5 s interval keeps every keyframe despite arrival jitter', () => {
    const due = new DueKeyframe<number>(5_000);
    const arrivals = [0, 4_990, 9_960, 15_010, 19_900];
    expect(arrivals.map((t) => due.offer(t, t, t)?.keyframe)).toEqual(arrivals);
  });

  it('a GOP longer than the interval: every keyframe is taken, and longGop says so', () => {
    const due = new DueKeyframe<number>(5_000);
    expect(due.longGop).toBe(false);
    const taken = [0, 8_000, 16_000, 24_000].map((t) => due.offer(t, t, t)?.keyframe);
    expect(taken).toEqual([0, 8_000, 16_000, 24_000]);
    expect(due.gopMs).toBe(8_000);
    expect(due.longGop).toBe(true);
    const short = new DueKeyframe<number>(5_000);
    for (const t of [0, 2_000, 4_000]) short.offer(t, t, t);
    expect(short.longGop).toBe(false);
  });

  it('reset (a reconnect): the next keyframe is due at once, the stream clock may start over, the GOP is measured anew', () => {
    const due = new DueKeyframe<string>(5_000);
    due.offer('a', 0, 0);
    due.offer('b', 9_000, 9_000);
    expect(due.longGop).toBe(true);
    due.reset();
    expect(due.gopMs).toBeUndefined();
    expect(due.offer('c', 0, 9_500)?.keyframe).toBe('c'); // stream time 0 again, due at once
  });

  it('ignores a clock jump (sender restart) when measuring the GOP', () => {
    const due = new DueKeyframe<string>(5_000);
    due.offer('a', 100_000, 0);
    due.offer('b', 2_000, 2_000); // backwards
    due.offer('c', 4_000, 4_000);
    expect(due.gopMs).toBe(2_000);
  });
});
