import type { ViolationType } from '../../../src/contracts/violation.js';
import type { EventsScore, SceneTruth } from './score.js';

/**
 * What limits each gap of a run — the detector (model) or the events logic (scorer) — from the detections
 * the bench observed. Pure.
 *
 *  - missed incident: replay the persistence rule (K of M, dwell, window) on the in-zone detections seen
 *    during the incident. If even that replay cannot open an event, the detector did not see enough
 *    (model); if it would have opened one, the pipeline/scorer lost it (scorer).
 *  - duplicate: the detector's gap that split the incident is reported; the rule did not bridge it (scorer).
 *  - false event: in-zone detections of a violation class persisted past the dwell on a scene where nothing
 *    violates (model); the scorer applied its rule as written.
 *  - late detection: first in-zone detection later than the time budget after the incident began (model),
 *    else the rule/pipeline took the time (scorer).
 */

export interface ObservedHits {
  cameraId: string;
  videoSec: number;
  /** In-zone detections that count for the type's track, per type. */
  zoneHits: Partial<Record<ViolationType, { n: number; best: number; labels: string[] }>>;
  /** Best score per label anywhere in the picture. */
  labels: Record<string, number>;
  /** Detections of violation classes passing the rule's score threshold, in the zone or not. */
  violationDets?: ReadonlyArray<{ type: ViolationType; label: string; inZone: boolean }>;
}

export interface RuleShape {
  dwellSec: number;
  hits: number;
  window: number;
  endAfterSec: number;
}

export type Limiter = 'model' | 'scorer';

export interface Finding {
  scene: string;
  type: ViolationType;
  kind: 'missed' | 'duplicate' | 'false' | 'late';
  limitedBy: Limiter;
  detail: string;
}

/** Would the persistence rule open an event on this hit sequence (times in s, ascending)? Returns when, or null. */
export function replayRule(frames: ReadonlyArray<{ t: number; hit: boolean }>, rule: RuleShape, maxGapSec = 15): number | null {
  let ring: boolean[] = [];
  let missStreak = 0;
  let cand: { last: number; presence: number } | null = null;
  let prevT: number | null = null;
  for (const f of frames) {
    const step = prevT === null ? 0 : f.t - prevT;
    const outage = step > maxGapSec;
    prevT = f.t;
    ring = [...ring, f.hit].slice(-rule.window);
    missStreak = f.hit ? 0 : missStreak + 1;
    if (cand && (missStreak >= rule.window || (f.hit && f.t - cand.last > rule.endAfterSec))) cand = null;
    if (f.hit) cand = cand ? { last: f.t, presence: cand.presence + (outage ? 0 : step) } : { last: f.t, presence: 0 };
    else if (cand) cand = { last: cand.last, presence: cand.presence + (outage ? 0 : step) };
    const hits = ring.filter(Boolean).length;
    if (f.hit && cand && hits >= rule.hits && cand.presence >= rule.dwellSec - 1e-9) return f.t;
  }
  return null;
}

const pct = (a: number, b: number) => (b > 0 ? `${Math.round((100 * a) / b)}%` : '—');

/** Longest run of analyzed frames without an in-zone hit, in seconds, within [a, b]. */
function longestGap(frames: readonly ObservedHits[], type: ViolationType, a: number, b: number): { sec: number; from: number; to: number } | null {
  const hits = frames.filter((f) => f.videoSec >= a && f.videoSec <= b && f.zoneHits[type]).map((f) => f.videoSec);
  let best: { sec: number; from: number; to: number } | null = null;
  for (let i = 1; i < hits.length; i++) {
    const d = hits[i]! - hits[i - 1]!;
    if (!best || d > best.sec) best = { sec: d, from: hits[i - 1]!, to: hits[i]! };
  }
  return best;
}

function labelsOf(frames: readonly ObservedHits[], type: ViolationType): string {
  const best = new Map<string, number>();
  for (const f of frames) for (const l of f.zoneHits[type]?.labels ?? []) best.set(l, Math.max(best.get(l) ?? 0, f.zoneHits[type]!.best));
  return [...best.keys()].join(', ') || 'none';
}

export function diagnose(score: EventsScore, scenes: readonly SceneTruth[], frames: readonly ObservedHits[], rules: Record<ViolationType, RuleShape>, budgetIntervals = 2): Finding[] {
  const out: Finding[] = [];
  const sceneOf = new Map(scenes.map((s) => [s.name, s]));
  const framesOf = (cam: string) => frames.filter((f) => f.cameraId === cam).sort((x, y) => x.videoSec - y.videoSec);

  for (const inc of score.incidents) {
    const fr = framesOf(inc.cameraId);
    const rule = rules[inc.type];
    const scene = sceneOf.get(inc.cameraId);
    const during = fr.filter((f) => f.videoSec >= inc.startSec && f.videoSec <= inc.endSec);
    const hitFrames = during.filter((f) => f.zoneHits[inc.type]);
    if (inc.eventIds.length === 0) {
      const wouldOpen = replayRule(
        during.map((f) => ({ t: f.videoSec, hit: Boolean(f.zoneHits[inc.type]) })),
        rule,
        Math.max(3 * (scene?.intervalSec ?? 5), 15),
      );
      const anywhere = new Map<string, number>();
      for (const f of during) for (const [l, s] of Object.entries(f.labels)) anywhere.set(l, (anywhere.get(l) ?? 0) + (s > 0 ? 1 : 0));
      const seen = [...anywhere.entries()].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([l, n]) => `${l} ×${n}`).join(', ') || 'nothing';
      if (during.length === 0) {
        out.push({ scene: inc.cameraId, type: inc.type, kind: 'missed', limitedBy: 'scorer', detail: `no frame of the incident (${inc.startSec}–${inc.endSec} s) was analyzed: the camera did not deliver (see the log)` });
      } else if (wouldOpen === null && replayRule(during.map((f) => ({ t: f.videoSec, hit: (f.violationDets ?? []).some((d) => d.type === inc.type) })), rule, Math.max(3 * (scene?.intervalSec ?? 5), 15)) !== null) {
        const outside = during.filter((f) => !f.zoneHits[inc.type] && (f.violationDets ?? []).some((d) => d.type === inc.type && !d.inZone));
        const outLabels = [...new Set(outside.flatMap((f) => (f.violationDets ?? []).filter((d) => d.type === inc.type && !d.inZone).map((d) => d.label)))].join(', ');
        out.push({
          scene: inc.cameraId,
          type: inc.type,
          kind: 'missed',
          limitedBy: 'scorer',
          detail: `zone filter: the detector found ${inc.type} classes in ${hitFrames.length + outside.length} of ${during.length} frames, enough for the rule, but in ${outside.length} of them only outside zone ${inc.zoneId ?? ''} by its anchor (${outLabels}); in the zone in ${hitFrames.length} (${pct(hitFrames.length, during.length)}), which cannot meet ${rule.hits} of ${rule.window} over ${rule.dwellSec} s`,
        });
      } else if (wouldOpen === null) {
        out.push({
          scene: inc.cameraId,
          type: inc.type,
          kind: 'missed',
          limitedBy: 'model',
          detail: `the detector found ${inc.type} classes in the zone in ${hitFrames.length} of ${during.length} analyzed frames (${pct(hitFrames.length, during.length)}; labels: ${labelsOf(hitFrames, inc.type)}); the rule (${rule.hits} of ${rule.window}, dwell ${rule.dwellSec} s) cannot be met on that. Seen in the picture: ${seen}`,
        });
      } else {
        out.push({
          scene: inc.cameraId,
          type: inc.type,
          kind: 'missed',
          limitedBy: 'scorer',
          detail: `in-zone detections in ${hitFrames.length} of ${during.length} frames would meet the rule at ${wouldOpen} s, yet no event opened (cooldown, frame drops or a scorer bug)`,
        });
      }
      continue;
    }
    if (inc.duplicates > 0) {
      const gap = longestGap(fr, inc.type, inc.startSec, inc.endSec);
      out.push({
        scene: inc.cameraId,
        type: inc.type,
        kind: 'duplicate',
        limitedBy: 'scorer',
        detail: `${inc.eventIds.length} events for one incident; the detector's longest in-zone gap was ${gap ? `${gap.sec} s (${gap.from}–${gap.to} s)` : 'n/a'}, which the rule (${rule.hits} of ${rule.window} frames, end after ${rule.endAfterSec} s) did not bridge`,
      });
    }
    const interval = scene?.intervalSec ?? 0;
    if (inc.ttdSec !== null && inc.ttdSec > budgetIntervals * interval + 1e-9) {
      const firstHit = hitFrames[0]?.videoSec;
      const lateBy = firstHit === undefined ? null : firstHit - inc.startSec;
      const model = lateBy !== null && lateBy > budgetIntervals * interval;
      out.push({
        scene: inc.cameraId,
        type: inc.type,
        kind: 'late',
        limitedBy: model ? 'model' : 'scorer',
        detail: `confirmed ${inc.ttdSec.toFixed(1)} s after the dwell was met (budget ${budgetIntervals * interval} s); first in-zone detection ${lateBy === null ? 'n/a' : `${lateBy.toFixed(1)} s`} after the incident began`,
      });
    }
  }

  for (const r of score.events) {
    if (r.role !== 'false') continue;
    const e = r.event;
    const fr = framesOf(e.cameraId).filter((f) => f.videoSec >= e.startSec && f.videoSec <= (e.endedSec ?? e.lastSeenSec));
    const hits = fr.filter((f) => f.zoneHits[e.type]);
    out.push({
      scene: e.cameraId,
      type: e.type,
      kind: 'false',
      limitedBy: 'model',
      detail: `${r.mustNotAlertScene ? 'must-NOT-alert scene: ' : 'no incident here: '}false ${labelsOf(hits, e.type)} detections in zone ${e.zoneId} in ${hits.length} of ${fr.length} frames from ${e.startSec} s, confirmed at ${e.confirmedSec} s (dwell ${rules[e.type].dwellSec} s met); the scorer applied its rule as written`,
    });
  }
  return out;
}
