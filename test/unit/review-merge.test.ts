import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mergeEvent } from '../../src/review/store/merge.js';
import type { PatrolEvent } from '../../src/contracts/event.js';

const base: PatrolEvent = {
  id: 'e1',
  cameraId: 'cam',
  zoneId: 'z',
  type: 'stall',
  startedAt: 1_000,
  confirmedAt: 2_000,
  lastSeenAt: 2_000,
  endedAt: null,
  peakScore: 0.5,
  bestBoxes: [],
  model: 'm',
  evidence: { sha256: {} },
};

/** Snapshots of one event as the pipeline would send them over its life: opened, updates, ended. */
const lifecycle = fc
  .record({
    updates: fc.array(fc.record({ dt: fc.integer({ min: 1, max: 60_000 }), score: fc.double({ min: 0.3, max: 1, noNaN: true }), latest: fc.boolean(), clip: fc.boolean() }), { maxLength: 6 }),
    ends: fc.boolean(),
  })
  .map(({ updates, ends }) => {
    const snaps: PatrolEvent[] = [{ ...base, evidence: { snapshot: 's.jpg', firstSeen: 'f.jpg', sha256: { 's.jpg': 'a', 'f.jpg': 'b' } } }];
    let prev = snaps[0]!;
    updates.forEach((u, i) => {
      const peak = u.score > prev.peakScore;
      const evidence = { ...prev.evidence, sha256: { ...prev.evidence.sha256 } };
      if (u.latest) {
        evidence.latest = 'latest.jpg';
        evidence.sha256['latest.jpg'] = `L${i}`;
      }
      if (u.clip) {
        evidence.clip = `clip${i}.mp4`;
        evidence.sha256[`clip${i}.mp4`] = `C${i}`;
      }
      prev = {
        ...prev,
        lastSeenAt: prev.lastSeenAt + u.dt,
        peakScore: peak ? u.score : prev.peakScore,
        peakAt: peak ? prev.lastSeenAt + u.dt : prev.peakAt,
        bestBoxes: peak ? [{ classId: i, label: `u${i}`, score: u.score, box: [0, 0, 1, 1] }] : prev.bestBoxes,
        evidence,
      };
      snaps.push(prev);
    });
    if (ends) snaps.push({ ...prev, endedAt: prev.lastSeenAt + 1000 });
    return snaps;
  });

const fold = (snaps: PatrolEvent[]) => snaps.slice(1).reduce((acc, s) => mergeEvent(acc, s), snaps[0]!);

describe('mergeEvent', () => {
  it('is idempotent: merging a snapshot with itself changes nothing', () => {
    fc.assert(
      fc.property(lifecycle, (snaps) => {
        for (const s of snaps) expect(mergeEvent(s, s)).toEqual(s);
      }),
    );
  });

  it('does not depend on arrival order: any permutation gives the in-order result', () => {
    fc.assert(
      fc.property(
        lifecycle.chain((snaps) => fc.tuple(fc.constant(snaps), fc.shuffledSubarray(snaps, { minLength: snaps.length, maxLength: snaps.length }))),
        ([inOrder, shuffled]) => {
          expect(fold(shuffled)).toEqual(fold(inOrder));
        },
      ),
    );
  });

  it('the in-order result is the last snapshot (the pipeline sends the whole event each time)', () => {
    fc.assert(
      fc.property(lifecycle, (snaps) => {
        expect(fold(snaps)).toEqual(snaps[snaps.length - 1]);
      }),
    );
  });

  it('an ended event stays ended when a late update arrives', () => {
    const ended = { ...base, lastSeenAt: 5_000, endedAt: 6_000 };
    const late = { ...base, lastSeenAt: 4_000 };
    expect(mergeEvent(ended, late).endedAt).toBe(6_000);
    expect(mergeEvent(late, ended).endedAt).toBe(6_000);
  });

  it('keeps evidence files a newer snapshot left out', () => {
    const a = { ...base, evidence: { snapshot: 's.jpg', clip: 'c.mp4', sha256: { 's.jpg': '1', 'c.mp4': '2' } } };
    const b = { ...base, lastSeenAt: 9_000, evidence: { latest: 'l.jpg', sha256: { 'l.jpg': '3' } } };
    expect(mergeEvent(a, b).evidence).toEqual({ snapshot: 's.jpg', latest: 'l.jpg', clip: 'c.mp4', sha256: { 's.jpg': '1', 'c.mp4': '2', 'l.jpg': '3' } });
  });
});
