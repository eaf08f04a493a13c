import { z } from 'zod';
import { ViolationType } from '../../../src/contracts/violation.js';
import type { EventsScore } from './score.js';

/** The `events` section of bench/targets.json. */
export const EventTargetsSchema = z
  .object({
    $comment: z.string().optional(),
    /** Event precision per violation type (matched events / events). */
    precision: z.number().min(0).max(1),
    /** Event recall per violation type (incidents with an event / incidents). */
    recall: z.number().min(0).max(1),
    /** Events beyond the first per incident, per type. */
    maxDuplicatesPerIncident: z.number().min(0),
    /** Events of any type on the must-NOT-alert scenes, all scenes together. */
    maxEventsOnNegativeScenes: z.number().int().min(0),
    /** p95 of time-to-detect after the dwell rule was met, in analysis intervals (so p95 ≤ dwell + N intervals from the incident's start). */
    ttdP95MaxIntervals: z.number().min(0),
    /** Types the per-type targets apply to. */
    types: z.array(ViolationType).default(['stall', 'dumping', 'burning']),
  })
  .strict();
export type EventTargets = z.infer<typeof EventTargetsSchema>;

export interface EventCheck {
  /** Short name, e.g. "recall stall". */
  what: string;
  value: number | null;
  /** Human-readable target, e.g. "≥ 0.90". */
  target: string;
  /** undefined: not measurable in this run (no incidents or no events of the type); reported, not a failure. */
  ok: boolean | undefined;
  /** Why, when missed or not measured. */
  note?: string;
}

const f2 = (v: number) => v.toFixed(2);

/** Compares a score with the targets. Pure. */
export function checkEventTargets(score: EventsScore, t: EventTargets): EventCheck[] {
  const checks: EventCheck[] = [];
  for (const type of t.types) {
    const s = score.types.find((x) => x.type === type);
    if (!s) continue;
    const noIncidents = s.incidents === 0;
    checks.push({
      what: `precision ${type}`,
      value: s.precision,
      target: `≥ ${f2(t.precision)}`,
      ok: s.precision === null ? undefined : s.precision >= t.precision,
      ...(s.precision === null ? { note: `no ${type} events` } : s.precision < t.precision ? { note: `${s.falseEvents} of ${s.events} events match no incident` } : {}),
    });
    checks.push({
      what: `recall ${type}`,
      value: s.recall,
      target: `≥ ${f2(t.recall)}`,
      ok: s.recall === null ? undefined : s.recall >= t.recall,
      ...(noIncidents ? { note: `no ${type} incidents in the run` } : s.recall! < t.recall ? { note: `${s.incidents - s.detected} of ${s.incidents} incidents without an event` } : {}),
    });
    checks.push({
      what: `duplicates per incident ${type}`,
      value: s.duplicatesPerIncident,
      target: `≤ ${f2(t.maxDuplicatesPerIncident)}`,
      ok: s.duplicatesPerIncident === null ? undefined : s.duplicatesPerIncident <= t.maxDuplicatesPerIncident,
      ...(noIncidents ? { note: `no ${type} incidents in the run` } : s.duplicates > 0 ? { note: `${s.duplicates} duplicate event(s)` } : {}),
    });
    const budget = s.intervalSec === null ? null : t.ttdP95MaxIntervals * s.intervalSec;
    const p95 = s.ttdSec.p95;
    checks.push({
      what: `time to detect p95 ${type} (s after dwell)`,
      value: p95,
      target: budget === null ? `≤ ${t.ttdP95MaxIntervals} intervals` : `≤ ${budget} s (${t.ttdP95MaxIntervals} × ${s.intervalSec} s)`,
      ok: p95 === null || budget === null ? undefined : p95 <= budget + 1e-9,
      ...(p95 === null ? { note: noIncidents ? `no ${type} incidents in the run` : `no ${type} incident detected` } : {}),
    });
  }
  const negScenes = score.negative.scenes;
  const offenders = negScenes.filter((s) => s.events.length > 0).map((s) => `${s.name} (${s.events.length}: ${[...new Set(s.events.map((e) => e.type))].join(', ')})`);
  checks.push({
    what: 'events on must-NOT-alert scenes',
    value: negScenes.length ? score.negative.events : null,
    target: `≤ ${t.maxEventsOnNegativeScenes}`,
    ok: negScenes.length ? score.negative.events <= t.maxEventsOnNegativeScenes : undefined,
    ...(negScenes.length === 0 ? { note: 'no must-NOT-alert scenes in the run' } : offenders.length ? { note: offenders.join('; ') } : {}),
  });
  return checks;
}

/** One line per missed target, for stderr and the exit status. */
export function missedTargets(checks: readonly EventCheck[]): string[] {
  return checks.filter((c) => c.ok === false).map((c) => `${c.what}: ${c.value === null ? 'n/a' : Number(c.value.toFixed(3))} (target ${c.target})${c.note ? ` — ${c.note}` : ''}`);
}
