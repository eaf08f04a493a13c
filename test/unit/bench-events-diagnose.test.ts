import { describe, expect, it } from 'vitest';
import { diagnose, replayRule, type ObservedHits, type RuleShape } from '../../bench/lib/events/diagnose.js';
import { scoreEvents, type BenchEvent, type SceneTruth } from '../../bench/lib/events/score.js';
import { timelineSvg } from '../../bench/lib/events/svg.js';
import { eventsMarkdown, type EventsReport } from '../../bench/lib/events/report.js';
import { checkEventTargets } from '../../bench/lib/events/targets.js';

const RULES: Record<'stall' | 'dumping' | 'burning', RuleShape> = {
  stall: { dwellSec: 60, hits: 4, window: 6, endAfterSec: 60 },
  dumping: { dwellSec: 30, hits: 4, window: 6, endAfterSec: 120 },
  burning: { dwellSec: 4, hits: 2, window: 3, endAfterSec: 30 },
};

const every2 = (a: number, b: number) => Array.from({ length: Math.floor((b - a) / 2) + 1 }, (_, i) => a + 2 * i);

function obs(cameraId: string, t: number, type?: 'stall' | 'dumping' | 'burning', inZone = true, label = 'x'): ObservedHits {
  return {
    cameraId,
    videoSec: t,
    zoneHits: type && inZone ? { [type]: { n: 1, best: 0.6, labels: [label] } } : {},
    labels: type ? { [label]: 0.6 } : { car: 0.5 },
    violationDets: type ? [{ type, label, inZone }] : [],
  };
}

describe('replayRule', () => {
  it('opens once K of M hits and the dwell are met', () => {
    const f = every2(0, 20).map((t) => ({ t, hit: true }));
    expect(replayRule(f, RULES.burning)).toBe(4);
  });

  it('never opens on sparse hits', () => {
    const f = every2(0, 100).map((t, i) => ({ t, hit: i % 4 === 0 }));
    expect(replayRule(f, RULES.dumping)).toBeNull();
  });

  it('restarts the candidate after a window of misses', () => {
    const f = every2(0, 40).map((t) => ({ t, hit: t < 20 || t >= 32 }));
    // Misses at 20..30 (6 frames = window) drop the candidate; a new one starts at 32 and needs 4 s of dwell.
    expect(replayRule(f, RULES.burning)).toBe(4);
    expect(replayRule(f, { ...RULES.burning, dwellSec: 20 })).toBeNull();
  });
});

describe('diagnose', () => {
  const scenes: SceneTruth[] = [
    { name: 'fire', durationSec: 90, mustNotAlert: false, watched: ['burning'], intervals: [{ type: 'burning', zoneId: 'z', startSec: 15, endSec: 90 }], intervalSec: 2 },
    { name: 'stall', durationSec: 90, mustNotAlert: false, watched: ['stall'], intervals: [{ type: 'stall', zoneId: 'z', startSec: 10, endSec: 90 }], intervalSec: 2 },
    { name: 'dump', durationSec: 90, mustNotAlert: false, watched: ['dumping'], intervals: [{ type: 'dumping', zoneId: 'z', startSec: 10, endSec: 90 }], intervalSec: 2 },
    { name: 'red_sign', durationSec: 90, mustNotAlert: true, watched: ['burning'], intervals: [], intervalSec: 2 },
  ];

  it('blames the model for an incident the detector never saw', () => {
    const frames = every2(0, 88).map((t) => obs('fire', t));
    const score = scoreEvents(scenes.slice(0, 1), [], RULES);
    const f = diagnose(score, scenes.slice(0, 1), frames, RULES);
    expect(f).toEqual([expect.objectContaining({ scene: 'fire', kind: 'missed', limitedBy: 'model' })]);
    expect(f[0]!.detail).toContain('in 0 of 37 analyzed frames');
  });

  it('blames the zone filter (scorer) when detections enough for the rule fall outside the zone', () => {
    const frames = every2(0, 88).map((t) => obs('stall', t, t >= 10 ? 'stall' : undefined, t % 6 === 0, 'umbrella'));
    const score = scoreEvents([scenes[1]!], [], RULES);
    const f = diagnose(score, [scenes[1]!], frames, RULES);
    expect(f[0]).toMatchObject({ kind: 'missed', limitedBy: 'scorer' });
    expect(f[0]!.detail).toMatch(/zone filter.*umbrella/);
  });

  it('blames the scorer when the rule replay would have opened an event', () => {
    const frames = every2(0, 88).map((t) => obs('dump', t, t >= 10 ? 'dumping' : undefined));
    const score = scoreEvents([scenes[2]!], [], RULES);
    const f = diagnose(score, [scenes[2]!], frames, RULES);
    expect(f[0]).toMatchObject({ kind: 'missed', limitedBy: 'scorer' });
    expect(f[0]!.detail).toContain('would meet the rule at 40 s');
  });

  it('reports duplicates with the gap that split the incident, and false events as model', () => {
    const frames = [...every2(0, 88).map((t) => obs('fire', t, t >= 16 && (t < 40 || t > 80) ? 'burning' : undefined)), ...every2(0, 88).map((t) => obs('red_sign', t, 'burning', true, 'fire'))];
    const events: BenchEvent[] = [
      { id: 'a', cameraId: 'fire', zoneId: 'z', type: 'burning', startSec: 16, confirmedSec: 20, lastSeenSec: 38, endedSec: 38 },
      { id: 'b', cameraId: 'fire', zoneId: 'z', type: 'burning', startSec: 82, confirmedSec: 86, lastSeenSec: 88, endedSec: null },
      { id: 'c', cameraId: 'red_sign', zoneId: 'z', type: 'burning', startSec: 0, confirmedSec: 4, lastSeenSec: 88, endedSec: null },
    ];
    const sc = [scenes[0]!, scenes[3]!];
    const score = scoreEvents(sc, events, RULES);
    const f = diagnose(score, sc, frames, RULES);
    expect(f.map((x) => [x.scene, x.kind, x.limitedBy])).toEqual([
      ['fire', 'duplicate', 'scorer'],
      ['red_sign', 'false', 'model'],
    ]);
    expect(f[0]!.detail).toContain('44 s (38–82 s)');
    expect(f[1]!.detail).toMatch(/must-NOT-alert scene: false fire detections/);

    // The report and the plot render this run.
    const report: EventsReport = {
      schema: 'patrol-bench-events/1',
      generatedAt: '2026-01-01T00:00:00Z',
      mode: 'rtsp',
      set: 'test',
      config: 'config/x.yaml',
      model: { name: 'm', version: '1', manifest: 'models/m.json' },
      rules: {
        stall: { ...RULES.stall, cooldownSec: 300 },
        dumping: { ...RULES.dumping, cooldownSec: 600 },
        burning: { ...RULES.burning, cooldownSec: 120 },
      },
      scenes: sc,
      skipped: [],
      score,
      checks: checkEventTargets(score, { precision: 0.9, recall: 0.9, maxDuplicatesPerIncident: 0.05, maxEventsOnNegativeScenes: 0, ttdP95MaxIntervals: 2, types: ['burning'] }),
      findings: f,
      alignment: [{ cameraId: 'fire', feederStartMs: 0, warmupFrames: 3, durationSec: 90, segments: 1, snapped: true, latencyP50Ms: 300, latencyP95Ms: 500, firstVideoSec: 0, lastVideoSec: 88 }],
      cameras: [],
      dispatched: { opened: 3, ended: 1, updated: 0 },
      loop: { framesAnalyzed: 90, inferenceMs: 900, errors: 0 },
      wallSec: 100,
      environment: [],
    };
    const md = eventsMarkdown(report, frames, 'x-timeline.svg');
    expect(md).toContain('| burning | 1 | 1 | 3 | 1 | 1 | 0.67 | 1.00 | 0.80 | 1.00 |');
    expect(md).toContain('| events on must-NOT-alert scenes | 1 | ≤ 0 | **missed** | red_sign (1: burning) |');
    expect(md).toContain('## Time alignment');
    expect(md).toContain('![Timeline');
    const svg = timelineSvg({ title: 't', scenes: sc, score, frames, dwellSec: { stall: 60, dumping: 30, burning: 4 } });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('red_sign');
    expect((svg.match(/<path d="M/g) ?? []).length).toBe(3 + 1); // three events + the legend diamond
  });
});
