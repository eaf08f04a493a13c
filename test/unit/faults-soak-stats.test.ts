import { describe, expect, it } from 'vitest';
import { soakMarkdown, type SoakResult } from '../../bench/lib/soak/report.js';
import { linearTrend, soakVerdict, thin, type SoakSample } from '../../bench/lib/soak/stats.js';

function sample(t: number, rssMinMb: number, over: Partial<SoakSample> = {}): SoakSample {
  return {
    t,
    rssMb: rssMinMb + 5,
    rssMinMb,
    rssMaxMb: rssMinMb + 20,
    heapUsedMb: 20,
    externalMb: 5,
    ffmpegRssMb: 400,
    ffmpegCount: 8,
    lagP50Ms: 10,
    lagP99Ms: 30,
    lagMaxMs: 40,
    framesAnalyzed: Math.round(t * 4),
    fps: 4,
    camerasLive: 8,
    eventsOpened: 0,
    queueDepth: 0,
    cpuPct: 50,
    loadAvg1: 2,
    ...over,
  };
}

const opts = { warmupSec: 60, lagP99Ms: 30, lagMaxMs: 50, expectedFps: 4, camerasTotal: 8 };

describe('soak statistics', () => {
  it('fits a line: slope per 10 min, fitted ends, standard error 0 on a perfect line', () => {
    const tr = linearTrend([0, 60, 120, 180].map((t) => ({ t, y: 100 + t / 60 })));
    expect(tr.mbPer10Min).toBeCloseTo(10, 9);
    expect(tr.start).toBeCloseTo(100, 9);
    expect(tr.end).toBeCloseTo(103, 9);
    expect(tr.stderrPer10Min).toBeCloseTo(0, 9);
    expect(tr.r2).toBeCloseTo(1, 9);
    expect(Number.isNaN(linearTrend([{ t: 0, y: 1 }]).mbPer10Min)).toBe(true);
  });

  it('passes a flat, noisy RSS floor after warm-up, ignoring the warm-up growth and the GC sawtooth', () => {
    const samples = Array.from({ length: 60 }, (_, i) => sample(i * 10, i * 10 < 60 ? 100 + i * 10 : 200 + ((i * 7) % 3)));
    const v = soakVerdict(samples, opts);
    expect(v.failures).toEqual([]);
    expect(Math.abs(v.rss.mbPer10Min)).toBeLessThan(1);
    expect(v.fps).toBeCloseTo(4, 5);
  });

  it('fails a steady leak, a starved event loop, a slow analysis and a camera down, each with a line', () => {
    const leak = Array.from({ length: 60 }, (_, i) => sample(i * 10, 200 + i * 0.2, { framesAnalyzed: i * 20, camerasLive: i === 59 ? 7 : 8 })); // 12 MB / 10 min, 2 fps
    const v = soakVerdict(leak, { ...opts, lagP99Ms: 450 });
    expect(v.status).toBe('fail');
    expect(v.failures.join('\n')).toMatch(/RSS \(floor\) grows 12\.00 ± 0\.00 MB per 10 min/);
    expect(v.failures.join('\n')).toMatch(/event-loop delay p99 450\.0 ms \(bound 200\)/);
    expect(v.failures.join('\n')).toMatch(/analyzed 2\.00 frames\/s, expected 4\.00/);
    expect(v.failures.join('\n')).toMatch(/1 of 8 cameras not live at the end/);
  });

  it('a slope above the bound but within two standard errors is inconclusive, not a leak', () => {
    // 12 MB / 10 min under ±6 MB of noise, 5 minutes: fitted ≈ 8.2 ± 11 MB / 10 min against a bound of 5.
    const noisy = Array.from({ length: 30 }, (_, i) => sample(i * 10, 200 + i * 0.2 + (i % 2 === 0 ? 6 : -6)));
    const v = soakVerdict(noisy, opts);
    expect(v.rss.mbPer10Min).toBeGreaterThan(5);
    expect(v.status).toBe('inconclusive');
    expect(v.pass).toBe(false);
    expect(v.failures[0]).toMatch(/not a proven leak — run longer/);
  });

  it('a run shorter than the warm-up fails with a reason instead of passing on no data', () => {
    const v = soakVerdict([sample(10, 100), sample(20, 100)], opts);
    expect(v.pass).toBe(false);
    expect(v.failures[0]).toMatch(/only 0 samples after the 60 s warm-up/);
  });

  it('thins a long table evenly and keeps both ends', () => {
    const rows = Array.from({ length: 181 }, (_, i) => i);
    const t = thin(rows, 40);
    expect(t).toHaveLength(40);
    expect(t[0]).toBe(0);
    expect(t.at(-1)).toBe(180);
    expect(thin([1, 2], 40)).toEqual([1, 2]);
  });

  it('the markdown states the verdict, the bounds and the label', () => {
    const samples = Array.from({ length: 30 }, (_, i) => sample(i * 10, 200));
    const r: SoakResult = {
      schema: 'patrol-soak/1',
      label: 'short check run (5 min)',
      startedAt: '2026-01-01T00:00:00.000Z',
      minutes: 5,
      warmupSec: 60,
      cameras: 8,
      intervalSec: 2,
      clips: ['stall_setup'],
      model: 'yolox_nano-coco v0.1.1',
      machine: { cpus: 2, node: 'v20', loadAvgAtStart: [1, 1, 1] },
      bounds: { maxRssMbPer10Min: 5, maxLagP99Ms: 200, minFpsShare: 0.8 },
      verdict: soakVerdict(samples, opts),
      totals: { framesAnalyzed: 1200, eventsOpened: 3, eventsEnded: 2, published: 7, delivered: 7, cameraStateChanges: 16 },
      samples,
    };
    const md = soakMarkdown(r);
    expect(md).toContain('# Soak: short check run (5 min)');
    expect(md).toContain('**PASS**');
    expect(md).toContain('≤ 5 MB / 10 min');
    expect(md).toContain('p99 ≤ 200 ms');
  });
});
