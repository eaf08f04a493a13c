import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { anyViolationRate, clipStats, imageStats, scoreClip, stillErrors, type ClipEvent } from '../../bench/lib/real/score.js';
import { checkRealTargets, RealTargetsSchema } from '../../bench/lib/real/targets.js';
import { clipTimelineSvg } from '../../bench/lib/real/timeline-svg.js';
import { readRealTruth, readRelabels, type BadEntry } from '../../bench/lib/real/truth.js';
import { readFileSync } from 'node:fs';

const ev = (type: ClipEvent['type'], openSec: number): ClipEvent => ({ type, openSec, startSec: openSec - 2, endSec: null, peakScore: 0.7 });

describe('bench:real scoring', () => {
  it('an event of the expected type opening inside the window is a hit; outside it, or of another type, is false', () => {
    const s = scoreClip([{ type: 'burning', from: 0, to: 24 }], [ev('burning', 30), ev('dumping', 5), ev('burning', 12)]);
    expect(s.expects).toEqual([{ expect: { type: 'burning', from: 0, to: 24 }, verdict: 'hit', event: 2 }]);
    expect(s.events.map((e) => e.verdict)).toEqual(['false', 'false', 'hit']);
  });

  it('a window with no event is a miss; one event meets one expectation only', () => {
    const s = scoreClip([{ type: 'stall', from: 0, to: 60 }, { type: 'stall', from: 0, to: 60 }], [ev('stall', 10)]);
    expect(s.expects.map((x) => x.verdict)).toEqual(['hit', 'miss']);
  });

  it('every event on a negative clip is false; rates count only clips that checked the type', () => {
    const neg = scoreClip([], [ev('burning', 3)]);
    const pos = scoreClip([{ type: 'burning', from: 0, to: 24 }], [ev('burning', 4)]);
    const clips = [
      { violations: ['burning' as const], durationSec: 1800, score: neg },
      { violations: ['burning' as const], durationSec: 1800, score: pos },
      { violations: ['stall' as const], durationSec: 3600, score: scoreClip([], []) },
    ];
    const b = clipStats(clips, 'burning');
    expect(b).toMatchObject({ expected: 1, hits: 1, recall: 1, falseEvents: 1, hours: 1, falsePerHour: 1 });
    expect(clipStats(clips, 'dumping')).toMatchObject({ recall: null, hours: 0, falsePerHour: null });
  });

  it('image recall over labelled stills, false positives over the "none" stills', () => {
    const stills = [
      { label: 'burning' as const, found: ['burning' as const] },
      { label: 'burning' as const, found: [] },
      { label: 'none' as const, found: ['dumping' as const] },
      { label: 'none' as const, found: [] },
      { label: 'none' as const, found: ['burning' as const, 'stall' as const] },
      { label: 'dumping' as const, found: ['burning' as const] },
    ];
    expect(imageStats(stills, 'burning')).toMatchObject({ positives: 2, found: 1, recall: 0.5, falsePositives: 1, negatives: 3 });
    expect(anyViolationRate(stills)).toEqual({ negatives: 3, alarmed: 2, rate: 2 / 3 });
  });

  it('lists the negatives that raised a violation (with why) and the positives whose violation was missed', () => {
    const stills = [
      { file: 'a.jpg', label: 'none' as const, found: ['dumping' as const], because: ['overflow 0.78'] },
      { file: 'b.jpg', label: 'none' as const, found: [], because: [] },
      { file: 'c.jpg', label: 'burning' as const, found: ['burning' as const], because: ['fire 0.61'] },
      // Found something, but not its own violation: a miss, with what was found instead.
      { file: 'd.jpg', label: 'dumping' as const, found: ['stall' as const], because: ['bench 0.41'] },
      { file: 'e.jpg', label: 'burning' as const, found: [], because: [] },
    ];
    const e = stillErrors(stills);
    expect(e.falseAlarms.map((s) => [s.file, s.because])).toEqual([['a.jpg', ['overflow 0.78']]]);
    expect(e.misses.map((s) => s.file)).toEqual(['d.jpg', 'e.jpg']);
  });

  it('targets: missed, met, and not measured when the data has nothing for them', () => {
    const t = RealTargetsSchema.parse({ clipRecall: { burning: 1, stall: 1 }, imageRecall: { burning: 0.85 }, maxImageFalsePositiveRate: 0.03 });
    const checks = checkRealTargets(
      t,
      { burning: { expected: 1, hits: 1, recall: 1, falseEvents: 0, hours: 0.01, falsePerHour: 0 } },
      { burning: { positives: 50, found: 40, recall: 0.8, falsePositives: 0, negatives: 100, falsePositiveRate: 0 } },
      0.05,
      { clips: true, images: true },
    );
    const by = Object.fromEntries(checks.map((c) => [c.what, c.ok]));
    expect(by['burning clip recall']).toBe(true);
    expect(by['stall clip recall']).toBeUndefined();
    expect(by['burning false events per clip-hour']).toBe(true);
    expect(by['burning image recall']).toBe(false);
    expect(by['negative stills raising any violation']).toBe(false);
  });

  it('the timeline marks hits, false events and missed windows', () => {
    const score = scoreClip([{ type: 'burning', from: 0, to: 10 }], [ev('burning', 20)]);
    const svg = clipTimelineSvg({ title: 'a <clip>', durationSec: 24, violations: ['burning'], frames: [{ timeSec: 0, scores: { burning: 0.4 } }, { timeSec: 2, scores: { burning: 0.6 } }], score });
    expect(svg).toContain('a &lt;clip&gt;');
    expect(svg).toContain('stroke="#d00"'); // the missed window
    expect(svg).toContain('(false)');
    expect(svg).toMatch(/<polyline points="[^"]+"/);
  });
});

describe('bench:real truth files', () => {
  it('reports each bad entry on its own line and keeps the good ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'real-truth-'));
    writeFileSync(join(dir, 'a.mp4'), 'x');
    writeFileSync(join(dir, 'ok.jpg'), 'x');
    writeFileSync(
      join(dir, 'clips.json'),
      JSON.stringify([
        { file: 'a.mp4', violations: ['burning'], zones: 'full-frame', expect: [{ type: 'burning', from: 0, to: 5 }] },
        { file: 'missing.mp4', violations: ['burning'], zones: 'full-frame', expect: [] },
        { file: 'a.mp4', violations: ['fire'], zones: 'full-frame', expect: [] },
        { file: 'a.mp4', violations: ['stall'], zones: 'full-frame', expect: [{ type: 'burning', from: 0, to: 5 }] },
      ]),
    );
    writeFileSync(join(dir, 'images.csv'), 'file,label\nok.jpg,burning\nok.jpg,fire\ngone.jpg,none\n\n');
    const t = readRealTruth(dir);
    expect(t.clips.map((c) => c.index)).toEqual([0]);
    expect(t.images.map((i) => i.line)).toEqual([2]);
    const where = t.bad.map((b) => b.where);
    expect(where).toEqual(['clips.json[1] (missing.mp4)', 'clips.json[2] (a.mp4)', 'clips.json[3] (a.mp4)', 'images.csv:3 (ok.jpg)', 'images.csv:4 (gone.jpg)']);
    expect(t.bad[0]!.message).toContain('not found');
    expect(t.bad[2]!.message).toContain('not in "violations"');
    expect(t.bad[3]!.message).toContain('"fire" is not one of stall | dumping | burning | none');
    for (const b of t.bad) expect(b.fix.length).toBeGreaterThan(10);
  });

  it('a clips.json that is not an array is one bad entry', () => {
    const dir = mkdtempSync(join(tmpdir(), 'real-truth-'));
    writeFileSync(join(dir, 'clips.json'), '{"file": "a.mp4"}');
    const t = readRealTruth(dir);
    expect(t.clips).toEqual([]);
    expect(t.bad).toEqual([{ where: 'clips.json', message: 'is not a JSON array', fix: 'wrap the clip entries in [ … ]' }]);
    expect(t.has).toEqual({ clips: true, images: false });
  });

  it('a relabel list: each entry needs a known label and a reason; comments and blank lines are skipped', () => {
    const dir = mkdtempSync(join(tmpdir(), 'real-truth-'));
    const file = join(dir, 'relabels.csv');
    writeFileSync(file, 'file,label,reason\n# a comment\n../a.jpg,none,fog, not fire\n../b.jpg,smoke,wrong\n../c.jpg,none,\n\n');
    const bad: BadEntry[] = [];
    const r = readRelabels(file, bad);
    expect([...r]).toEqual([['../a.jpg', { label: 'none', reason: 'fog, not fire' }]]);
    expect(bad.map((b) => b.where)).toEqual(['relabels.csv:4', 'relabels.csv:5']);
    expect(bad[1]!.message).toBe('no reason given');
  });

  it("the repository's relabel list parses cleanly and says why for every still", () => {
    const bad: BadEntry[] = [];
    const file = join(import.meta.dirname, '../../bench/real-relabels.csv');
    const r = readRelabels(file, bad);
    expect(bad).toEqual([]);
    expect(r.size).toBe(readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith('../')).length);
    for (const v of r.values()) expect(v.reason.length).toBeGreaterThan(20);
  });
});
