import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nextBackoffMs } from '../../src/ingest/backoff.js';

describe('nextBackoffMs', () => {
  const noJitter = { baseMs: 1000, maxMs: 30_000, jitter: 0 };

  it('doubles from the base and stops at the cap', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 50].map((a) => nextBackoffMs(a, noJitter))).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
  });

  it('jitter only shortens the delay, by at most the jitter fraction', () => {
    const opts = { baseMs: 1000, maxMs: 30_000, jitter: 0.5 };
    expect(nextBackoffMs(2, { ...opts, random: () => 0 })).toBe(4000);
    expect(nextBackoffMs(2, { ...opts, random: () => 0.5 })).toBe(3000);
    expect(nextBackoffMs(2, { ...opts, random: () => 0.999999 })).toBe(2000);
  });

  it('spreads cameras that failed together', () => {
    let seed = 1;
    const random = (): number => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const delays = new Set(Array.from({ length: 50 }, () => nextBackoffMs(3, { baseMs: 1000, maxMs: 60_000, jitter: 0.3, random })));
    expect(delays.size).toBeGreaterThan(40);
  });

  it('treats odd attempts (negative, fractional, NaN, huge) sanely', () => {
    expect(nextBackoffMs(-3, noJitter)).toBe(1000);
    expect(nextBackoffMs(1.7, noJitter)).toBe(2000);
    expect(nextBackoffMs(Number.NaN, noJitter)).toBe(1000);
    expect(nextBackoffMs(Number.POSITIVE_INFINITY, noJitter)).toBe(1000);
    expect(nextBackoffMs(1e9, noJitter)).toBe(30_000);
  });

  it('always lands in [base·(1−jitter)·…, max] and never decreases without jitter', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 600_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        (attempt, baseMs, maxMs, jitter, r) => {
          const d = nextBackoffMs(attempt, { baseMs, maxMs, jitter, random: () => r });
          const cap = Math.min(maxMs, baseMs * 2 ** attempt);
          expect(d).toBeGreaterThanOrEqual(Math.floor(cap * (1 - jitter)) - 1);
          expect(d).toBeLessThanOrEqual(Math.max(maxMs, 0));
          const next = nextBackoffMs(attempt + 1, { baseMs, maxMs, jitter: 0 });
          expect(next).toBeGreaterThanOrEqual(nextBackoffMs(attempt, { baseMs, maxMs, jitter: 0 }));
        },
      ),
    );
  });
});
