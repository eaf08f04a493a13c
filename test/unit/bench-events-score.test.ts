import { describe, expect, it } from 'vitest';
import { checkEventTargets, missedTargets, type EventTargets } from '../../bench/lib/events/targets.js';
import { overlapSec, percentile, scoreEvents, type BenchEvent, type RuleTimings, type SceneTruth } from '../../bench/lib/events/score.js';

const RULES: RuleTimings = {
  stall: { dwellSec: 60, endAfterSec: 60 },
  dumping: { dwellSec: 30, endAfterSec: 120 },
  burning: { dwellSec: 4, endAfterSec: 30 },
};

const TARGETS: EventTargets = { precision: 0.9, recall: 0.9, maxDuplicatesPerIncident: 0.05, maxEventsOnNegativeScenes: 0, ttdP95MaxIntervals: 2, types: ['stall', 'dumping', 'burning'] };

function scene(name: string, intervals: SceneTruth['intervals'], extra: Partial<SceneTruth> = {}): SceneTruth {
  return { name, durationSec: 90, mustNotAlert: intervals.length === 0, watched: ['stall', 'dumping', 'burning'], intervals, intervalSec: 2, ...extra };
}

let n = 0;
function ev(cameraId: string, type: BenchEvent['type'], startSec: number, confirmedSec: number, lastSeenSec = confirmedSec, extra: Partial<BenchEvent> = {}): BenchEvent {
  return { id: `e${++n}`, cameraId, zoneId: 'z', type, startSec, confirmedSec, lastSeenSec, endedSec: null, ...extra };
}

describe('percentile (nearest rank)', () => {
  it('is null on no data, the value on one, and the rank-th smallest otherwise', () => {
    expect(percentile([], 95)).toBeNull();
    expect(percentile([3], 50)).toBe(3);
    expect(percentile([5, 1, 4, 2, 3], 50)).toBe(3);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95)).toBe(10);
    expect(percentile(Array.from({ length: 20 }, (_, i) => i + 1), 95)).toBe(19);
  });
});

describe('overlapSec', () => {
  it('extends the truth interval by endAfter and uses the event span', () => {
    const iv = { type: 'stall' as const, zoneId: 'z', startSec: 10, endSec: 50 };
    expect(overlapSec(ev('a', 'stall', 20, 80, 90), iv, 60)).toBe(70); // [20, 90] vs [10, 110]
    expect(overlapSec(ev('a', 'stall', 100, 105), iv, 60)).toBe(5);
    expect(overlapSec(ev('a', 'stall', 120, 130), iv, 60)).toBeLessThan(0);
    expect(overlapSec(ev('a', 'stall', 0, 5, 8, { endedSec: 9 }), iv, 60)).toBeLessThan(0);
  });
});

describe('scoreEvents', () => {
  it('scores a perfect run: one event per incident, on time, nothing on the negatives', () => {
    const scenes = [scene('stall_setup', [{ type: 'stall', zoneId: 'z', startSec: 12, endSec: 90 }]), scene('fire', [{ type: 'burning', zoneId: 'z', startSec: 15, endSec: 90 }]), scene('empty_day', [])];
    const s = scoreEvents(scenes, [ev('stall_setup', 'stall', 14, 74, 88), ev('fire', 'burning', 16, 20, 88)], RULES);
    const stall = s.types.find((t) => t.type === 'stall')!;
    expect(stall).toMatchObject({ incidents: 1, detected: 1, events: 1, precision: 1, recall: 1, f1: 1, duplicates: 0, duplicatesPerIncident: 0 });
    expect(stall.ttdSec).toEqual({ n: 1, p50: 2, p95: 2, max: 2 }); // 74 − (12 + 60)
    const burning = s.types.find((t) => t.type === 'burning')!;
    expect(burning.ttdSec.p95).toBe(1); // 20 − (15 + 4)
    const dumping = s.types.find((t) => t.type === 'dumping')!;
    expect(dumping).toMatchObject({ incidents: 0, events: 0, precision: null, recall: null, f1: null, duplicatesPerIncident: null });
    expect(s.negative).toMatchObject({ events: 0, cameraHours: 90 / 3600, perCameraHour: 0 });
    expect(checkEventTargets(s, TARGETS).filter((c) => c.ok === false)).toEqual([]);
  });

  it('counts events beyond the first of one incident as duplicates (matched for precision)', () => {
    const scenes = [scene('dumping', [{ type: 'dumping', zoneId: 'z', startSec: 17, endSec: 120 }], { durationSec: 120 })];
    const events = [ev('dumping', 'dumping', 18, 48, 60, { endedSec: 60 }), ev('dumping', 'dumping', 70, 100, 118)];
    const s = scoreEvents(scenes, events, RULES);
    const d = s.types.find((t) => t.type === 'dumping')!;
    expect(d).toMatchObject({ events: 2, matchedEvents: 2, falseEvents: 0, duplicates: 1, precision: 1, recall: 1, duplicatesPerIncident: 1 });
    expect(s.events.map((r) => r.role)).toEqual(['first', 'duplicate']);
    expect(d.ttdSec.p50).toBe(1); // the first event: 48 − (17 + 30)
    const missed = missedTargets(checkEventTargets(s, TARGETS));
    expect(missed).toHaveLength(1);
    expect(missed[0]).toMatch(/^duplicates per incident dumping: 1 .*1 duplicate/);
  });

  it('matches by camera, type and zone; an event elsewhere is false', () => {
    const scenes = [scene('a', [{ type: 'stall', zoneId: 'z', startSec: 10, endSec: 90 }])];
    const events = [
      ev('a', 'stall', 20, 80, 90, { zoneId: 'other' }), // wrong zone
      ev('a', 'burning', 20, 24), // wrong type
      ev('b', 'stall', 20, 80), // camera not in the truth set
    ];
    const s = scoreEvents(scenes, events, RULES);
    expect(s.events.every((r) => r.role === 'false')).toBe(true);
    expect(s.unknownCameraEvents.map((e) => e.cameraId)).toEqual(['b']);
    const stall = s.types.find((t) => t.type === 'stall')!;
    expect(stall).toMatchObject({ events: 2, falseEvents: 2, precision: 0, recall: 0, f1: 0 });
  });

  it('any zone matches when the truth names none', () => {
    const scenes = [scene('a', [{ type: 'stall', startSec: 10, endSec: 90 }])];
    const s = scoreEvents(scenes, [ev('a', 'stall', 12, 72, 80, { zoneId: 'anything' })], RULES);
    expect(s.types[0]!.recall).toBe(1);
  });

  it('an event after the incident still matches within endAfter, not beyond', () => {
    const scenes = [scene('a', [{ type: 'burning', zoneId: 'z', startSec: 10, endSec: 20 }])];
    const within = scoreEvents(scenes, [ev('a', 'burning', 45, 49)], RULES); // 45 ≤ 20 + 30
    expect(within.events[0]!.role).toBe('first');
    const beyond = scoreEvents(scenes, [ev('a', 'burning', 55, 59)], RULES);
    expect(beyond.events[0]!.role).toBe('false');
  });

  it('gives an event overlapping two incidents to the one without an event', () => {
    const scenes = [
      scene('a', [
        { type: 'burning', zoneId: 'z', startSec: 10, endSec: 20 },
        { type: 'burning', zoneId: 'z', startSec: 30, endSec: 40 },
      ]),
    ];
    const s = scoreEvents(scenes, [ev('a', 'burning', 11, 15, 19, { endedSec: 19 }), ev('a', 'burning', 31, 35, 39)], RULES);
    expect(s.incidents.map((i) => i.eventIds.length)).toEqual([1, 1]);
    expect(s.types.find((t) => t.type === 'burning')).toMatchObject({ recall: 1, duplicates: 0 });
  });

  it('lists events on must-NOT-alert scenes by name and rates them per camera-hour', () => {
    const scenes = [
      scene('stall_setup', [{ type: 'stall', zoneId: 'z', startSec: 12, endSec: 90 }]),
      scene('red_sign', [], { watched: ['burning'] }),
      scene('bin_present', [], { watched: ['dumping'] }),
      scene('empty_day', []),
    ];
    const s = scoreEvents(scenes, [ev('stall_setup', 'stall', 14, 74), ev('red_sign', 'burning', 3, 7, 80), ev('red_sign', 'burning', 200, 204)], RULES);
    expect(s.negative.events).toBe(2);
    expect(s.negative.cameraHours).toBeCloseTo((3 * 90) / 3600);
    expect(s.negative.perCameraHour).toBeCloseTo(2 / ((3 * 90) / 3600));
    expect(s.negative.scenes.find((n) => n.name === 'red_sign')!.events).toHaveLength(2);
    const burning = s.types.find((t) => t.type === 'burning')!;
    // Negative scenes watching burning: red_sign and empty_day.
    expect(burning.negative).toMatchObject({ events: 2, cameraHours: (2 * 90) / 3600 });
    expect(burning).toMatchObject({ events: 2, falseEvents: 2, precision: 0, recall: null });
    const checks = checkEventTargets(s, TARGETS);
    const neg = checks.find((c) => c.what === 'events on must-NOT-alert scenes')!;
    expect(neg).toMatchObject({ value: 2, ok: false });
    expect(neg.note).toContain('red_sign (2: burning)');
    // No burning incidents: recall and TTD are not measured (not failures); precision 0 is.
    expect(checks.find((c) => c.what === 'recall burning')!.ok).toBeUndefined();
    expect(checks.find((c) => c.what === 'precision burning')!.ok).toBe(false);
  });

  it('time to detect: p95 over incidents against two analysis intervals', () => {
    const scenes = Array.from({ length: 20 }, (_, i) => scene(`s${i}`, [{ type: 'burning', zoneId: 'z', startSec: 10, endSec: 80 }]));
    // TTD 0, 1, …, 19 s after the dwell (10 + 4).
    const events = scenes.map((sc, i) => ev(sc.name, 'burning', 10, 14 + i, 70));
    const s = scoreEvents(scenes, events, RULES);
    const b = s.types.find((t) => t.type === 'burning')!;
    expect(b.ttdSec).toEqual({ n: 20, p50: 9, p95: 18, max: 19 });
    const c = checkEventTargets(s, TARGETS).find((x) => x.what.startsWith('time to detect p95 burning'))!;
    expect(c).toMatchObject({ value: 18, ok: false, target: '≤ 4 s (2 × 2 s)' });
  });

  it('reports a type with incidents but no events as not precise-able, missed on recall', () => {
    const s = scoreEvents([scene('fire', [{ type: 'burning', zoneId: 'z', startSec: 15, endSec: 90 }])], [], RULES);
    const checks = checkEventTargets(s, TARGETS);
    expect(checks.find((c) => c.what === 'precision burning')).toMatchObject({ value: null, ok: undefined, note: 'no burning events' });
    expect(checks.find((c) => c.what === 'recall burning')).toMatchObject({ value: 0, ok: false });
    expect(checks.find((c) => c.what.startsWith('time to detect p95 burning'))).toMatchObject({ ok: undefined, note: 'no burning incident detected' });
    expect(missedTargets(checks)).toEqual(['recall burning: 0 (target ≥ 0.90) — 1 of 1 incidents without an event']);
  });
});
