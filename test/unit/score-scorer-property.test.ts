import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CameraSchema, type RuleConfig } from '../../src/config/schema.js';
import type { Detection } from '../../src/contracts/detections.js';
import type { EventChange, PatrolEvent } from '../../src/contracts/event.js';
import { resolveRules } from '../../src/score/rules.js';
import { createCameraScoreState, openEvents, restore, step, type CameraScoreState } from '../../src/score/scorer.js';

const T0 = 1_700_000_000_000;
const rule: RuleConfig = { classScores: {}, dwellSec: 30, hits: 3, window: 5, endAfterSec: 40, cooldownSec: 60 };
const rules = resolveRules({ stall: rule, dumping: rule, burning: rule });
const camera = CameraSchema.parse({
  id: 'cam',
  url: 'file://x.mp4',
  intervalSec: 5,
  zones: [
    { id: 'a', polygon: [[0, 0], [0.5, 0], [0.5, 1], [0, 1]], violations: ['stall', 'dumping'] },
    { id: 'b', polygon: [[0.5, 0], [1, 0], [1, 1], [0.5, 1]], violations: ['stall'] },
  ],
});
const ctx = { camera, rules };

// Scenes come in runs (a stall stays a while, then leaves), with occasional odd gaps and crashes.
const segmentArb = fc.record({
  n: fc.integer({ min: 1, max: 25 }),
  dtSec: fc.oneof({ weight: 8, arbitrary: fc.constant(5) }, { weight: 2, arbitrary: fc.integer({ min: 1, max: 200 }) }),
  a: fc.boolean(),
  b: fc.boolean(),
  dump: fc.boolean(),
  flicker: fc.boolean(),
  score: fc.double({ min: 0.3, max: 1, noNaN: true }),
  crash: fc.oneof({ weight: 6, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
});
const framesArb = fc.array(segmentArb, { minLength: 1, maxLength: 40 }).map((segs) =>
  segs.flatMap((sg) =>
    Array.from({ length: sg.n }, (_, i) => {
      const off = sg.flicker && i % 3 === 2;
      return { dtSec: i === 0 ? sg.dtSec : 5, a: sg.a && !off, b: sg.b, dump: sg.dump && !off, score: sg.score, crash: sg.crash && i === 0 };
    }),
  ),
);

function dets(f: { a: boolean; b: boolean; dump: boolean; score: number }): Detection[] {
  const out: Detection[] = [];
  if (f.a) out.push({ classId: 0, label: 'stall', score: f.score, box: [0.1, 0.5, 0.2, 0.8], violation: 'stall' });
  if (f.b) out.push({ classId: 0, label: 'stall', score: f.score, box: [0.7, 0.5, 0.8, 0.8], violation: 'stall' });
  if (f.dump) out.push({ classId: 1, label: 'trash', score: f.score, box: [0.2, 0.5, 0.3, 0.8], violation: 'dumping' });
  return out;
}

describe('scorer invariants (property)', () => {
  it('never two open events per (zone, type); lifecycles well-formed; rules respected; crashes do not duplicate', () => {
    fc.assert(
      fc.property(framesArb, (frames) => {
        let state: CameraScoreState = createCameraScoreState();
        let t = T0;
        const log: { at: number; change: EventChange; crashedBefore: number }[] = [];
        // What an event store would hold: the latest version of every event.
        const store = new Map<string, PatrolEvent>();
        let crashed = 0;
        for (const f of frames) {
          t += f.dtSec * 1000;
          if (f.crash) {
            state = restore(JSON.parse(JSON.stringify([...store.values()])), rules);
            crashed += 1;
          }
          const res = step(state, { detections: { cameraId: 'cam', timestamp: t, model: 'm', items: dets(f) } }, ctx);
          state = res.state;
          for (const change of res.changes) {
            log.push({ at: t, change, crashedBefore: crashed });
            store.set(change.event.id, change.event);
          }
        }

        const open = new Map<string, string>();
        const lastEnd = new Map<string, { at: number; endedAt: number; crashedBefore: number }>();
        const ids = new Set<string>();
        for (const { at, change, crashedBefore } of log) {
          const ev = change.event;
          const key = `${ev.zoneId}/${ev.type}`;
          if (change.kind === 'opened') {
            expect(open.has(key)).toBe(false);
            expect(ids.has(ev.id)).toBe(false);
            ids.add(ev.id);
            open.set(key, ev.id);
            expect(ev.confirmedAt).toBe(at);
            // Dwell is met within half an analysis interval (sampled frames, jittery live arrival times).
            expect(ev.confirmedAt - ev.startedAt).toBeGreaterThanOrEqual(rule.dwellSec * 1000 - (camera.intervalSec * 1000) / 2);
            const ended = lastEnd.get(key);
            // Across a crash the end moment is unknown; the restored cooldown runs from endedAt + endAfterSec.
            if (ended && ended.crashedBefore === crashedBefore) expect(at).toBeGreaterThanOrEqual(ended.at + rule.cooldownSec * 1000);
            if (ended) expect(at).toBeGreaterThanOrEqual(ended.endedAt + (rule.endAfterSec + rule.cooldownSec) * 1000);
          } else {
            expect(open.get(key)).toBe(ev.id);
            expect(ev.lastSeenAt).toBeLessThanOrEqual(at);
            expect(ev.peakScore).toBeGreaterThanOrEqual(0.3);
            if (change.kind === 'ended') {
              expect(ev.endedAt).toBe(ev.lastSeenAt);
              expect(at - ev.lastSeenAt).toBeGreaterThanOrEqual(rule.endAfterSec * 1000);
              open.delete(key);
              lastEnd.set(key, { at, endedAt: ev.endedAt!, crashedBefore });
            }
          }
        }
        expect(new Set(openEvents(state).map((e) => e.id))).toEqual(new Set(open.values()));
      }),
      { numRuns: 1000 },
    );
  });
});
