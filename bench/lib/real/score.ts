import type { ViolationType } from '../../../src/contracts/violation.js';
import type { ImageLabel } from './truth.js';

/** An event a clip raised, as bench:real judges it. */
export interface ClipEvent {
  type: ViolationType;
  /** When the event opened (was raised), file seconds. */
  openSec: number;
  /** First evidence, file seconds. */
  startSec: number;
  endSec: number | null;
  peakScore: number;
}

export interface Expected {
  type: ViolationType;
  from: number;
  to: number;
}

export type Verdict = 'hit' | 'miss' | 'false';

export interface ClipScore {
  /** Per expected event: hit (with the event's index) or miss. */
  expects: { expect: Expected; verdict: 'hit' | 'miss'; event?: number }[];
  /** Per raised event: hit (matched an expectation) or false. */
  events: { event: ClipEvent; verdict: 'hit' | 'false' }[];
}

/**
 * Each expectation is met by the earliest unused event of its type that opened inside [from, to]; an event that
 * meets none is a false alarm (on a negative clip, every event). Pure.
 */
export function scoreClip(expect: readonly Expected[], events: readonly ClipEvent[]): ClipScore {
  const used = new Set<number>();
  const order = events.map((e, i) => ({ e, i })).sort((a, b) => a.e.openSec - b.e.openSec);
  const expects = expect.map((x) => {
    const m = order.find(({ e, i }) => !used.has(i) && e.type === x.type && e.openSec >= x.from && e.openSec <= x.to);
    if (!m) return { expect: x, verdict: 'miss' as const };
    used.add(m.i);
    return { expect: x, verdict: 'hit' as const, event: m.i };
  });
  return { expects, events: events.map((event, i) => ({ event, verdict: used.has(i) ? ('hit' as const) : ('false' as const) })) };
}

export interface ClipTally {
  violations: readonly ViolationType[];
  durationSec: number;
  score: ClipScore;
}

export interface ViolationClipStats {
  expected: number;
  hits: number;
  /** hits / expected; null when no clip expects this type. */
  recall: number | null;
  falseEvents: number;
  /** Hours of footage checked for this type. */
  hours: number;
  falsePerHour: number | null;
}

export function clipStats(clips: readonly ClipTally[], type: ViolationType): ViolationClipStats {
  let expected = 0;
  let hits = 0;
  let falseEvents = 0;
  let sec = 0;
  for (const c of clips) {
    if (!c.violations.includes(type)) continue;
    sec += c.durationSec;
    for (const x of c.score.expects) {
      if (x.expect.type !== type) continue;
      expected++;
      if (x.verdict === 'hit') hits++;
    }
    falseEvents += c.score.events.filter((e) => e.verdict === 'false' && e.event.type === type).length;
  }
  const hours = sec / 3600;
  return { expected, hits, recall: expected > 0 ? hits / expected : null, falseEvents, hours, falsePerHour: hours > 0 ? falseEvents / hours : null };
}

export interface StillResult {
  label: ImageLabel;
  /** Violations the detector found on the still (a detection of a feeding class at the manifest threshold). */
  found: readonly ViolationType[];
}

export interface ViolationImageStats {
  positives: number;
  found: number;
  recall: number | null;
  /** Negatives ("none") on which this type was found. */
  falsePositives: number;
  negatives: number;
  falsePositiveRate: number | null;
}

export function imageStats(stills: readonly StillResult[], type: ViolationType): ViolationImageStats {
  const pos = stills.filter((s) => s.label === type);
  const neg = stills.filter((s) => s.label === 'none');
  const found = pos.filter((s) => s.found.includes(type)).length;
  const fp = neg.filter((s) => s.found.includes(type)).length;
  return {
    positives: pos.length,
    found,
    recall: pos.length > 0 ? found / pos.length : null,
    falsePositives: fp,
    negatives: neg.length,
    falsePositiveRate: neg.length > 0 ? fp / neg.length : null,
  };
}

/** Share of the negative stills that raise any violation at all. */
export function anyViolationRate(stills: readonly StillResult[]): { negatives: number; alarmed: number; rate: number | null } {
  const neg = stills.filter((s) => s.label === 'none');
  const alarmed = neg.filter((s) => s.found.length > 0).length;
  return { negatives: neg.length, alarmed, rate: neg.length > 0 ? alarmed / neg.length : null };
}

/** A still with what the detector said: the detections (class and score) that raised each violation found. */
export interface StillDetail extends StillResult {
  file: string;
  /** "overflow 0.78", one per detection of a class feeding a violation, highest score first. */
  because: readonly string[];
}

/**
 * The stills to look at after a run: negatives that raised any violation (with the detections that did it) and
 * positives whose violation was not found. The figures say how many; these say which, so a developer reads
 * the pictures instead of re-running the detector by hand.
 */
export function stillErrors(stills: readonly StillDetail[]): { falseAlarms: StillDetail[]; misses: StillDetail[] } {
  return {
    falseAlarms: stills.filter((s) => s.label === 'none' && s.found.length > 0),
    misses: stills.filter((s) => s.label !== 'none' && !s.found.includes(s.label)),
  };
}
