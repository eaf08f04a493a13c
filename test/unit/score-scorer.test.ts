import { describe, expect, it } from 'vitest';
import { CameraSchema, DEFAULT_RULES, type RuleConfig } from '../../src/config/schema.js';
import type { Detection } from '../../src/contracts/detections.js';
import type { EventChange } from '../../src/contracts/event.js';
import { resolveRules, type Rules } from '../../src/score/rules.js';
import {
  createCameraScoreState,
  eventId,
  flush,
  openEvents,
  restore,
  step,
  type CameraScoreState,
  type ScoreContext,
} from '../../src/score/scorer.js';

const T0 = 1_700_000_000_000;
const S = 1000;

// Test rules: round numbers so expected times are easy to read.
const stallRule: RuleConfig = { classScores: {}, dwellSec: 60, hits: 3, window: 5, endAfterSec: 60, cooldownSec: 120 };
const rules: Rules = resolveRules({ stall: stallRule, dumping: { ...stallRule }, burning: DEFAULT_RULES.burning });

const stall = (score = 0.8, box: Detection['box'] = [0.1, 0.6, 0.2, 0.9], label = 'stall'): Detection => ({ classId: 0, label, score, box, violation: 'stall' });
const bin = (): Detection => ({ classId: 5, label: 'garbage_bin', score: 0.95, box: [0.1, 0.6, 0.2, 0.9] });
const fire = (score = 0.8): Detection => ({ classId: 2, label: 'fire', score, box: [0.4, 0.4, 0.6, 0.6], violation: 'burning' });

const fullFrameCam = CameraSchema.parse({ id: 'cam1', url: 'file://a.mp4', violations: ['stall', 'dumping', 'burning'], intervalSec: 5 });
const ctxOf = (camera = fullFrameCam, r: Rules = rules, options?: ScoreContext['options']): ScoreContext => ({ camera, rules: r, ...(options ? { options } : {}) });

interface Timed {
  at: number;
  change: EventChange;
}

/** Feed frames at the given seconds (relative to T0); `dets(sec)` says what the detector saw. */
function run(secs: number[], dets: (sec: number) => Detection[], ctx = ctxOf(), state: CameraScoreState = createCameraScoreState()) {
  const changes: Timed[] = [];
  for (const sec of secs) {
    const res = step(state, { detections: { cameraId: ctx.camera.id, timestamp: T0 + sec * S, model: 'm1', items: dets(sec) } }, ctx);
    state = res.state;
    for (const change of res.changes) changes.push({ at: sec, change });
  }
  return { state, changes };
}

const every = (from: number, to: number, dt = 5) => Array.from({ length: Math.floor((to - from) / dt) + 1 }, (_, i) => from + i * dt);
const kinds = (cs: Timed[]) => cs.map((c) => `${c.change.kind}@${c.at}`);

describe('persistence', () => {
  it('meets dwell within half an interval, so live arrival jitter does not cost a whole interval', () => {
    // Frames nominally every 5 s; the one at 60 s arrives 40 ms early.
    const secs = [...every(0, 55), 59.96, 65];
    const { changes } = run(secs, () => [stall()]);
    expect(kinds(changes.filter((c) => c.change.kind === 'opened'))).toEqual(['opened@59.96']);
    // 2.6 s short of dwell (more than half an interval) is still too early.
    const early = run([...every(0, 55), 57.4], () => [stall()]);
    expect(early.changes.filter((c) => c.change.kind === 'opened')).toEqual([]);
  });

  it('a stall that stays past dwell opens exactly one event, at dwell', () => {
    const { changes } = run(every(0, 600), () => [stall()]);
    const opened = changes.filter((c) => c.change.kind === 'opened');
    expect(opened).toHaveLength(1);
    expect(opened[0]!.at).toBe(60);
    const ev = opened[0]!.change.event;
    expect(ev.startedAt).toBe(T0);
    expect(ev.confirmedAt).toBe(T0 + 60 * S);
    expect(ev.lastSeenAt).toBe(T0 + 60 * S);
    expect(ev.endedAt).toBeNull();
    expect(ev.zoneId).toBe('full-frame');
    expect(ev.type).toBe('stall');
    expect(ev.model).toBe('m1');
    expect(ev.id).toBe(eventId('cam1', 'full-frame', 'stall', T0));
    expect(changes.some((c) => c.change.kind === 'ended')).toBe(false);
  });

  it('a stall appearing later opens dwell after its first sighting', () => {
    const { changes } = run(every(0, 300), (s) => (s >= 100 ? [stall()] : []));
    expect(kinds(changes.filter((c) => c.change.kind === 'opened'))).toEqual(['opened@160']);
    expect(changes[0]!.change.event.startedAt).toBe(T0 + 100 * S);
  });

  it('a vendor passing through (seen less than dwell) raises nothing', () => {
    const { changes, state } = run(every(0, 600), (s) => (s >= 100 && s < 155 ? [stall()] : []));
    expect(changes).toEqual([]);
    expect(openEvents(state)).toEqual([]);
  });

  it('vendors passing one after another do not chain into one candidate', () => {
    // 30 s seen, 30 s gone (6 misses ≥ M=5 empties the window), repeatedly.
    const { changes } = run(every(0, 600), (s) => (s % 60 < 30 ? [stall()] : []));
    expect(changes).toEqual([]);
  });

  it('flicker within K of M is tolerated', () => {
    // Seen in 3 of every 5 frames (pattern H H M H M), never 5 misses in a row.
    const pattern = [true, true, false, true, false];
    const { changes } = run(every(0, 300), (s) => (pattern[(s / 5) % 5] ? [stall()] : []));
    const opened = changes.filter((c) => c.change.kind === 'opened');
    expect(opened).toHaveLength(1);
    expect(opened[0]!.at).toBeGreaterThanOrEqual(60);
    expect(opened[0]!.at).toBeLessThanOrEqual(70);
    expect(opened[0]!.change.event.startedAt).toBe(T0);
  });

  it('too sparse (fewer than K of M) never opens, however long', () => {
    const { changes } = run(every(0, 600), (s) => ((s / 5) % 4 === 0 ? [stall()] : []));
    expect(changes).toEqual([]);
  });

  it('opens only on a frame with a sighting', () => {
    const { changes } = run(every(0, 120), (s) => (s === 60 || s === 65 ? [] : [stall()]));
    expect(kinds(changes.filter((c) => c.change.kind === 'opened'))).toEqual(['opened@70']);
  });

  it('dwellSec 0 with K=1 opens on the first sighting', () => {
    const r = resolveRules({ stall: { ...stallRule, dwellSec: 0, hits: 1, window: 1 } });
    const { changes } = run([0, 5], () => [stall()], ctxOf(fullFrameCam, r));
    expect(kinds(changes)).toEqual(['opened@0']);
  });

  it('burning with the default rules opens on the second frame at 5 s intervals', () => {
    const { changes } = run(every(0, 30), () => [fire()]);
    expect(kinds(changes)).toEqual(['opened@5']);
    expect(changes[0]!.change.event.type).toBe('burning');
  });
});

describe('analysis gaps', () => {
  it('an outage does not count as presence', () => {
    // Seen 0..20, camera offline 20..50 (a 30 s step > maxGap 15 s), seen again from 50.
    const secs = [...every(0, 20), ...every(50, 200)];
    const { changes } = run(secs, () => [stall()]);
    // Presence: 20 s before the outage + (t − 50) after → 60 at t = 90, not at t = 60.
    expect(kinds(changes.filter((c) => c.change.kind === 'opened'))).toEqual(['opened@90']);
    expect(changes[0]!.change.event.startedAt).toBe(T0);
  });

  it('a sighting long after the previous one starts a new candidate', () => {
    const secs = [...every(0, 30), ...every(300, 500)];
    const { changes } = run(secs, () => [stall()]);
    expect(kinds(changes.filter((c) => c.change.kind === 'opened'))).toEqual(['opened@360']);
    expect(changes[0]!.change.event.startedAt).toBe(T0 + 300 * S);
  });

  it('maxGapSec follows the camera interval', () => {
    const slow = CameraSchema.parse({ id: 'cam1', url: 'file://a.mp4', intervalSec: 10 });
    // 25 s steps: an outage at interval 5 (limit 15 s) but not at interval 10 (limit 30 s).
    const { changes } = run(every(0, 200, 25), () => [stall()], ctxOf(slow));
    expect(kinds(changes.filter((c) => c.change.kind === 'opened'))).toEqual(['opened@75']);
  });

  it('an open event survives an outage; the first frame back alone does not end it', () => {
    const secs = [...every(0, 100), ...every(1000, 1030)];
    const { changes } = run(secs, (s) => (s <= 100 ? [stall()] : []));
    // Back at 1000 with no stall: ends once M=5 misses are observed (1000..1020), endedAt = last sighting.
    expect(kinds(changes.filter((c) => c.change.kind !== 'updated'))).toEqual(['opened@60', 'ended@1020']);
    expect(changes.at(-1)!.change.event.endedAt).toBe(T0 + 100 * S);
  });

  it('an open event continues when the stall is still there after an outage', () => {
    const secs = [...every(0, 100), ...every(1000, 1100)];
    const { changes, state } = run(secs, () => [stall()]);
    expect(changes.filter((c) => c.change.kind === 'opened')).toHaveLength(1);
    expect(changes.some((c) => c.change.kind === 'ended')).toBe(false);
    expect(openEvents(state)[0]!.lastSeenAt).toBe(T0 + 1100 * S);
  });

  it('replayed or out-of-order frames are ignored', () => {
    const { state } = run(every(0, 60), () => [stall()]);
    const ctx = ctxOf();
    const res = step(state, { detections: { cameraId: 'cam1', timestamp: T0 + 30 * S, model: 'm1', items: [] } }, ctx);
    expect(res.state).toBe(state);
    expect(res.changes).toEqual([]);
  });

  it('analyzedAt overrides the detections timestamp', () => {
    const ctx = ctxOf();
    const res = step(createCameraScoreState(), { detections: { cameraId: 'cam1', timestamp: 0, model: 'm', items: [] }, analyzedAt: T0 }, ctx);
    expect(res.state.lastAnalyzedAt).toBe(T0);
  });

  it('rejects detections from another camera and non-finite time', () => {
    const ctx = ctxOf();
    expect(() => step(createCameraScoreState(), { detections: { cameraId: 'other', timestamp: T0, model: 'm', items: [] } }, ctx)).toThrow(/other/);
    expect(() => step(createCameraScoreState(), { detections: { cameraId: 'cam1', timestamp: Number.NaN, model: 'm', items: [] } }, ctx)).toThrow(/finite/);
  });
});

describe('end and cooldown', () => {
  it('ends after endAfterSec of absence, with endedAt = last sighting', () => {
    const { changes, state } = run(every(0, 600), (s) => (s <= 300 ? [stall()] : []));
    const ended = changes.filter((c) => c.change.kind === 'ended');
    expect(kinds(ended)).toEqual(['ended@360']);
    const ev = ended[0]!.change.event;
    expect(ev.endedAt).toBe(T0 + 300 * S);
    expect(ev.lastSeenAt).toBe(T0 + 300 * S);
    expect(ev.id).toBe(changes[0]!.change.event.id);
    expect(openEvents(state)).toEqual([]);
  });

  it('a gap shorter than endAfterSec keeps the same event', () => {
    const { changes } = run(every(0, 600), (s) => (s >= 200 && s < 250 ? [] : [stall()]));
    expect(changes.filter((c) => c.change.kind === 'opened')).toHaveLength(1);
    expect(changes.some((c) => c.change.kind === 'ended')).toBe(false);
  });

  it('no new event during cooldown; one after it, starting at the return', () => {
    // Gone 305..365 → ended at 360 (lastSeen 300); back from 370 and stays.
    const { changes } = run(every(0, 800), (s) => (s <= 300 || s >= 370 ? [stall()] : []));
    const lifecycle = kinds(changes.filter((c) => c.change.kind !== 'updated'));
    // Cooldown until 360 + 120 = 480; presence since 370 is ≥ 60 by then.
    expect(lifecycle).toEqual(['opened@60', 'ended@360', 'opened@480']);
    const second = changes.find((c) => c.at === 480)!.change.event;
    expect(second.startedAt).toBe(T0 + 370 * S);
    expect(second.id).not.toBe(changes[0]!.change.event.id);
  });

  it('with cooldown 0 the return opens after its own dwell', () => {
    const r = resolveRules({ stall: { ...stallRule, cooldownSec: 0 } });
    const { changes } = run(every(0, 800), (s) => (s <= 300 || s >= 370 ? [stall()] : []), ctxOf(fullFrameCam, r));
    expect(kinds(changes.filter((c) => c.change.kind !== 'updated'))).toEqual(['opened@60', 'ended@360', 'opened@430']);
  });
});

describe('updates', () => {
  it('periodic updates at most every 30 s while seen', () => {
    const { changes } = run(every(0, 300), () => [stall()]);
    const updates = changes.filter((c) => c.change.kind === 'updated').map((c) => c.at);
    expect(updates).toEqual([90, 120, 150, 180, 210, 240, 270, 300]);
    expect(changes.find((c) => c.at === 300)!.change.event.lastSeenAt).toBe(T0 + 300 * S);
  });

  it('no periodic update while not seen', () => {
    const { changes } = run(every(0, 115), (s) => (s <= 60 ? [stall()] : []));
    expect(kinds(changes)).toEqual(['opened@60']);
  });

  it('a peak rise above 0.05 is emitted at once, a small one waits', () => {
    const score = (s: number) => (s < 70 ? 0.6 : s < 75 ? 0.63 : 0.7);
    const { changes } = run(every(0, 85), (s) => [stall(score(s))]);
    expect(kinds(changes)).toEqual(['opened@60', 'updated@75']);
    const ev = changes[1]!.change.event;
    expect(ev.peakScore).toBe(0.7);
    expect(ev.peakAt).toBe(T0 + 75 * S);
  });

  it('bestBoxes are the zone/type detections of the peak frame, best first, capped at 20', () => {
    const many = (s: number) => Array.from({ length: 25 }, (_, i) => stall(s === 30 ? 0.9 - i * 0.01 : 0.5, [0.01 * i, 0.6, 0.01 * i + 0.05, 0.9]));
    const { changes } = run(every(0, 60), (s) => [...many(s), bin()]);
    const ev = changes[0]!.change.event;
    expect(ev.peakScore).toBe(0.9);
    expect(ev.peakAt).toBe(T0 + 30 * S);
    expect(ev.bestBoxes).toHaveLength(20);
    expect(ev.bestBoxes[0]!.score).toBe(0.9);
    expect(ev.bestBoxes.every((b) => b.violation === 'stall')).toBe(true);
  });

  it('bestBoxes honours options.maxBoxes', () => {
    const { changes } = run(every(0, 60), () => [stall(0.7), stall(0.8)], ctxOf(fullFrameCam, rules, { maxBoxes: 1 }));
    expect(changes[0]!.change.event.bestBoxes.map((b) => b.score)).toEqual([0.8]);
  });
});

describe('zones and classes', () => {
  const twoZones = CameraSchema.parse({
    id: 'cam2',
    url: 'file://b.mp4',
    zones: [
      { id: 'left', polygon: [[0, 0], [0.5, 0], [0.5, 1], [0, 1]], violations: ['stall'] },
      { id: 'right', polygon: [[0.5, 0], [1, 0], [1, 1], [0.5, 1]], violations: ['stall'] },
      { id: 'top', polygon: [[0, 0], [1, 0], [1, 0.2], [0, 0.2]], violations: ['stall'], anchor: 'overlap', minOverlap: 0.5 },
    ],
  });

  it('two zones → two events with distinct ids', () => {
    const { changes } = run(every(0, 100), () => [stall(0.8, [0.1, 0.6, 0.2, 0.9]), stall(0.7, [0.7, 0.6, 0.8, 0.9])], ctxOf(twoZones));
    const opened = changes.filter((c) => c.change.kind === 'opened').map((c) => c.change.event);
    expect(opened.map((e) => e.zoneId)).toEqual(['left', 'right']);
    expect(new Set(opened.map((e) => e.id)).size).toBe(2);
    expect(opened[1]!.bestBoxes.map((b) => b.score)).toEqual([0.7]);
  });

  it('a detection outside every zone → nothing', () => {
    const oneZone = CameraSchema.parse({ id: 'cam2', url: 'file://b.mp4', zones: [{ id: 'left', polygon: [[0, 0], [0.5, 0], [0.5, 1], [0, 1]], violations: ['stall'] }] });
    const { changes } = run(every(0, 300), () => [stall(0.9, [0.7, 0.6, 0.8, 0.9])], ctxOf(oneZone));
    expect(changes).toEqual([]);
  });

  it('anchor modes decide membership: overlap zone needs half the box inside', () => {
    // Box [0.6,0.1,0.8,0.3]: bottom-center (0.7,0.3) is in 'right'; half its area is in 'top'.
    const { changes } = run(every(0, 100), () => [stall(0.8, [0.6, 0.1, 0.8, 0.3])], ctxOf(twoZones));
    expect(changes.filter((c) => c.change.kind === 'opened').map((c) => c.change.event.zoneId)).toEqual(['right', 'top']);
    const { changes: c2 } = run(every(0, 100), () => [stall(0.8, [0.6, 0.1, 0.8, 0.5])], ctxOf(twoZones));
    expect(c2.filter((c) => c.change.kind === 'opened').map((c) => c.change.event.zoneId)).toEqual(['right']);
  });

  it('a garbage bin (no violation) never raises anything', () => {
    const { changes } = run(every(0, 900), () => [bin()]);
    expect(changes).toEqual([]);
  });

  it('per-class thresholds filter weak detections', () => {
    const r = resolveRules({ stall: { ...stallRule, classScores: { umbrella: 0.85 }, minScore: 0.3 } });
    const weak = run(every(0, 300), () => [stall(0.8, undefined, 'umbrella')], ctxOf(fullFrameCam, r));
    expect(weak.changes).toEqual([]);
    const strong = run(every(0, 300), () => [stall(0.9, undefined, 'umbrella')], ctxOf(fullFrameCam, r));
    expect(strong.changes.filter((c) => c.change.kind === 'opened')).toHaveLength(1);
    const other = run(every(0, 300), () => [stall(0.4, undefined, 'cart')], ctxOf(fullFrameCam, r));
    expect(other.changes.filter((c) => c.change.kind === 'opened')).toHaveLength(1);
  });

  it('a violation type the camera does not enable is not scored', () => {
    const onlyStall = CameraSchema.parse({ id: 'cam1', url: 'file://a.mp4', violations: ['stall'] });
    const { changes } = run(every(0, 60), () => [fire(0.99)], ctxOf(onlyStall));
    expect(changes).toEqual([]);
  });

  it('a zone removed from the config lets its open event run out', () => {
    const first = run(every(0, 100), () => [stall(0.8, [0.1, 0.6, 0.2, 0.9])], ctxOf(twoZones));
    expect(openEvents(first.state).map((e) => e.zoneId)).toEqual(['left']);
    const onlyRight = CameraSchema.parse({ id: 'cam2', url: 'file://b.mp4', zones: [twoZones.zones[1]!] });
    const after = run(every(105, 300), () => [stall(0.8, [0.1, 0.6, 0.2, 0.9])], ctxOf(onlyRight), first.state);
    expect(kinds(after.changes)).toEqual(['ended@160']);
    expect(openEvents(after.state)).toEqual([]);
  });
});

describe('restore and flush', () => {
  it('after a crash the restored scorer updates and ends the same event, never a duplicate', () => {
    const before = run(every(0, 100), (s) => (s <= 200 ? [stall()] : []));
    const open = openEvents(before.state);
    expect(open).toHaveLength(1);
    // Round-trip through JSON, as an event store would.
    const restored = restore(JSON.parse(JSON.stringify(open)));
    const after = run(every(130, 400), (s) => (s <= 200 ? [stall()] : []), ctxOf(), restored);
    expect(after.changes.some((c) => c.change.kind === 'opened')).toBe(false);
    const ended = after.changes.filter((c) => c.change.kind === 'ended');
    expect(ended).toHaveLength(1);
    expect(ended[0]!.change.event.id).toBe(open[0]!.id);
    expect(ended[0]!.change.event.startedAt).toBe(T0);
    expect(ended[0]!.change.event.endedAt).toBe(T0 + 200 * S);
  });

  it('restore ignores ended events and rejects mixed cameras', () => {
    const { changes } = run(every(0, 600), (s) => (s <= 300 ? [stall()] : []));
    const ended = changes.find((c) => c.change.kind === 'ended')!.change.event;
    expect(openEvents(restore([ended]))).toEqual([]);
    const open = changes[0]!.change.event;
    expect(() => restore([open, { ...open, cameraId: 'other' }])).toThrow(/several cameras/);
  });

  it('with rules, recently ended events keep their cooldown across a restart', () => {
    const { changes } = run(every(0, 370), (s) => (s <= 300 ? [stall()] : []));
    const ended = changes.find((c) => c.change.kind === 'ended')!.change.event;
    // Back from 375 and staying; cooldown restored from endedAt + endAfter = 360 → until 480.
    const withRules = run(every(375, 600), () => [stall()], ctxOf(), restore([ended], rules));
    expect(kinds(withRules.changes.filter((c) => c.change.kind === 'opened'))).toEqual(['opened@480']);
    const without = run(every(375, 600), () => [stall()], ctxOf(), restore([ended]));
    expect(kinds(without.changes.filter((c) => c.change.kind === 'opened'))).toEqual(['opened@435']);
  });

  it('restored frames older than the last sighting are ignored', () => {
    const before = run(every(0, 100), () => [stall()]);
    const restored = restore(openEvents(before.state));
    expect(restored.lastAnalyzedAt).toBe(T0 + 100 * S);
  });

  it('flush ends nothing and emits the unsaved latest state once', () => {
    const { state } = run(every(0, 80), () => [stall()]);
    const f = flush(state, T0 + 81 * S);
    expect(f.changes.map((c) => c.kind)).toEqual(['updated']);
    expect(f.changes[0]!.event.lastSeenAt).toBe(T0 + 80 * S);
    expect(f.changes[0]!.event.endedAt).toBeNull();
    expect(openEvents(f.state)).toHaveLength(1);
    expect(flush(f.state, T0 + 82 * S).changes).toEqual([]);
  });
});

describe('purity', () => {
  it('never mutates its input state and is deterministic', () => {
    const ctx = ctxOf();
    let state = createCameraScoreState();
    const log: string[] = [];
    for (const sec of every(0, 400)) {
      const snapshot = JSON.stringify(state);
      const input = { detections: { cameraId: 'cam1', timestamp: T0 + sec * S, model: 'm1', items: sec <= 200 ? [stall()] : [] } };
      const a = step(state, input, ctx);
      const b = step(state, input, ctx);
      expect(JSON.stringify(state)).toBe(snapshot);
      expect(JSON.stringify(a)).toBe(JSON.stringify(b));
      for (const c of a.changes) log.push(`${c.kind}:${c.event.id}`);
      state = a.state;
    }
    expect(log.filter((l) => !l.startsWith('updated'))).toHaveLength(2);
  });

  it('event ids are base36 timestamps, stable and unique per start', () => {
    expect(eventId('cam1', 'z1', 'stall', 1_700_000_000_000)).toBe(`cam1.z1.stall.${(1_700_000_000_000).toString(36)}`);
    expect(eventId('cam1', 'z1', 'stall', 1)).not.toBe(eventId('cam1', 'z1', 'stall', 2));
  });
});
