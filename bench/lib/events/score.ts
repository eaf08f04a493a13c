import type { ViolationType } from '../../../src/contracts/violation.js';

/**
 * Event-level scoring of a bench:events run against the fixtures' ground truth. Pure functions over plain
 * data; every time is in seconds of *video time* (seconds from the start of the fixture file).
 *
 * Definitions (also in bench/README.md):
 *  - An event is matched to a truth interval of the same camera and type (and zone, when the truth names
 *    one) when the event's span [startSec, endedSec ?? lastSeenSec] overlaps [startSec, endSec + endAfterSec]
 *    of the interval. An event counts for at most one interval: an unmatched interval is preferred, then the
 *    one it overlaps most.
 *  - precision = matched events / events; recall = intervals with ≥ 1 matched event / intervals;
 *    F1 = 2PR / (P + R).
 *  - duplicates = matched events beyond the first of their interval; per incident = duplicates / intervals.
 *  - time to detect (after the dwell rule was met) = confirmedSec − (interval start + dwellSec) of the first
 *    matched event, p50/p95 by nearest rank.
 *  - false events per camera-hour = events on must-NOT-alert scenes / hours of those scenes (per type: the
 *    hours of the negative scenes that watch that type).
 */

export const VIOLATION_TYPES: readonly ViolationType[] = ['stall', 'dumping', 'burning'];

export interface TruthInterval {
  type: ViolationType;
  /** Absent: any zone of the camera matches. */
  zoneId?: string;
  startSec: number;
  endSec: number;
}

/** One fixture video = one camera. */
export interface SceneTruth {
  name: string;
  title?: string;
  durationSec: number;
  mustNotAlert: boolean;
  /** Violation types the camera's zones watch (for per-type camera-hours). */
  watched: ViolationType[];
  intervals: TruthInterval[];
  /** Seconds between analyzed frames on this camera. */
  intervalSec: number;
}

/** An event as the bench saw it (latest version), mapped to video time. */
export interface BenchEvent {
  id: string;
  cameraId: string;
  zoneId: string;
  type: ViolationType;
  startSec: number;
  confirmedSec: number;
  lastSeenSec: number;
  endedSec: number | null;
  peakScore?: number;
  labels?: string[];
}

export interface RuleTiming {
  dwellSec: number;
  endAfterSec: number;
}
export type RuleTimings = Record<ViolationType, RuleTiming>;

export interface IncidentResult {
  cameraId: string;
  type: ViolationType;
  zoneId?: string;
  startSec: number;
  endSec: number;
  /** Matched events, by confirmation time. */
  eventIds: string[];
  /** confirmedSec − (startSec + dwellSec) of the first matched event. */
  ttdSec: number | null;
  duplicates: number;
}

export type EventRole = 'first' | 'duplicate' | 'false';

export interface EventResult {
  event: BenchEvent;
  role: EventRole;
  /** Index into `incidents` when matched. */
  incident: number | null;
  mustNotAlertScene: boolean;
}

export interface Quantiles {
  n: number;
  p50: number | null;
  p95: number | null;
  max: number | null;
}

export interface TypeScore {
  type: ViolationType;
  incidents: number;
  detected: number;
  events: number;
  matchedEvents: number;
  falseEvents: number;
  duplicates: number;
  /** null: no events of this type (nothing to be precise about). */
  precision: number | null;
  /** null: no truth intervals of this type in the run. */
  recall: number | null;
  f1: number | null;
  duplicatesPerIncident: number | null;
  ttdSec: Quantiles;
  /** The scenes' analysis interval (largest among the scenes with this type's incidents). */
  intervalSec: number | null;
  negative: { events: number; cameraHours: number; perCameraHour: number | null };
}

export interface NegativeScene {
  name: string;
  durationSec: number;
  events: BenchEvent[];
}

export interface EventsScore {
  types: TypeScore[];
  incidents: IncidentResult[];
  events: EventResult[];
  negative: { scenes: NegativeScene[]; events: number; cameraHours: number; perCameraHour: number | null };
  /** Events on cameras that are not in the truth set (misconfiguration; counted as false). */
  unknownCameraEvents: BenchEvent[];
}

/** Nearest-rank percentile (p in 0..100) of unsorted values; null when empty. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1]!;
}

export function quantiles(values: readonly number[]): Quantiles {
  return { n: values.length, p50: percentile(values, 50), p95: percentile(values, 95), max: values.length ? Math.max(...values) : null };
}

export function eventEndSec(e: BenchEvent): number {
  return e.endedSec ?? Math.max(e.lastSeenSec, e.confirmedSec);
}

/** Seconds of overlap between the event's span and the interval's [start, end + endAfter]; < 0 when apart. */
export function overlapSec(e: BenchEvent, iv: TruthInterval, endAfterSec: number): number {
  const a0 = e.startSec;
  const a1 = eventEndSec(e);
  const b0 = iv.startSec;
  const b1 = iv.endSec + endAfterSec;
  return Math.min(a1, b1) - Math.max(a0, b0);
}

export function f1Score(p: number | null, r: number | null): number | null {
  if (r === null) return null;
  const pp = p ?? 0;
  return pp + r > 0 ? (2 * pp * r) / (pp + r) : 0;
}

/** Scores events against the truth of the scenes that were run. */
export function scoreEvents(scenes: readonly SceneTruth[], events: readonly BenchEvent[], rules: RuleTimings): EventsScore {
  const byName = new Map(scenes.map((s) => [s.name, s]));
  const incidents: IncidentResult[] = [];
  const incidentOf = new Map<TruthInterval, number>();
  for (const s of scenes) {
    for (const iv of s.intervals) {
      incidentOf.set(iv, incidents.length);
      incidents.push({ cameraId: s.name, type: iv.type, ...(iv.zoneId !== undefined ? { zoneId: iv.zoneId } : {}), startSec: iv.startSec, endSec: iv.endSec, eventIds: [], ttdSec: null, duplicates: 0 });
    }
  }

  const ordered = [...events].sort((a, b) => a.confirmedSec - b.confirmedSec || a.id.localeCompare(b.id));
  const results: EventResult[] = [];
  const unknownCameraEvents: BenchEvent[] = [];
  for (const e of ordered) {
    const scene = byName.get(e.cameraId);
    if (!scene) {
      unknownCameraEvents.push(e);
      results.push({ event: e, role: 'false', incident: null, mustNotAlertScene: false });
      continue;
    }
    const endAfter = rules[e.type].endAfterSec;
    const candidates = scene.intervals
      .filter((iv) => iv.type === e.type && (iv.zoneId === undefined || iv.zoneId === e.zoneId))
      .map((iv) => ({ iv, idx: incidentOf.get(iv)!, overlap: overlapSec(e, iv, endAfter) }))
      .filter((c) => c.overlap >= 0);
    if (candidates.length === 0) {
      results.push({ event: e, role: 'false', incident: null, mustNotAlertScene: scene.mustNotAlert });
      continue;
    }
    candidates.sort((a, b) => {
      const ua = incidents[a.idx]!.eventIds.length === 0 ? 0 : 1;
      const ub = incidents[b.idx]!.eventIds.length === 0 ? 0 : 1;
      return ua - ub || b.overlap - a.overlap || a.iv.startSec - b.iv.startSec;
    });
    const pick = candidates[0]!;
    const inc = incidents[pick.idx]!;
    const first = inc.eventIds.length === 0;
    inc.eventIds.push(e.id);
    if (first) inc.ttdSec = e.confirmedSec - (inc.startSec + rules[e.type].dwellSec);
    else inc.duplicates++;
    results.push({ event: e, role: first ? 'first' : 'duplicate', incident: pick.idx, mustNotAlertScene: scene.mustNotAlert });
  }

  const negScenes = scenes.filter((s) => s.mustNotAlert);
  const negative: EventsScore['negative'] = {
    scenes: negScenes.map((s) => ({ name: s.name, durationSec: s.durationSec, events: ordered.filter((e) => e.cameraId === s.name) })),
    events: ordered.filter((e) => byName.get(e.cameraId)?.mustNotAlert).length,
    cameraHours: negScenes.reduce((a, s) => a + s.durationSec, 0) / 3600,
    perCameraHour: null,
  };
  negative.perCameraHour = negative.cameraHours > 0 ? negative.events / negative.cameraHours : null;

  const types: TypeScore[] = VIOLATION_TYPES.map((type) => {
    const inc = incidents.filter((i) => i.type === type);
    const evs = results.filter((r) => r.event.type === type);
    const matchedEvents = evs.filter((r) => r.role !== 'false').length;
    const duplicates = inc.reduce((a, i) => a + i.duplicates, 0);
    const detected = inc.filter((i) => i.eventIds.length > 0).length;
    const precision = evs.length > 0 ? matchedEvents / evs.length : null;
    const recall = inc.length > 0 ? detected / inc.length : null;
    const ttd = inc.flatMap((i) => (i.ttdSec === null ? [] : [i.ttdSec]));
    const positiveScenes = scenes.filter((s) => s.intervals.some((iv) => iv.type === type));
    const negWatching = negScenes.filter((s) => s.watched.includes(type));
    const negEvents = evs.filter((r) => r.mustNotAlertScene).length;
    const cameraHours = negWatching.reduce((a, s) => a + s.durationSec, 0) / 3600;
    return {
      type,
      incidents: inc.length,
      detected,
      events: evs.length,
      matchedEvents,
      falseEvents: evs.length - matchedEvents,
      duplicates,
      precision,
      recall,
      f1: f1Score(precision, recall),
      duplicatesPerIncident: inc.length > 0 ? duplicates / inc.length : null,
      ttdSec: quantiles(ttd),
      intervalSec: positiveScenes.length ? Math.max(...positiveScenes.map((s) => s.intervalSec)) : null,
      negative: { events: negEvents, cameraHours, perCameraHour: cameraHours > 0 ? negEvents / cameraHours : null },
    };
  });

  return { types, incidents, events: results, negative, unknownCameraEvents };
}
