import type { CameraConfig } from '../config/schema.js';
import type { Detection, Detections } from '../contracts/detections.js';
import type { ViolationType } from '../contracts/violation.js';
import type { EventChange, PatrolEvent } from '../contracts/event.js';
import type { Rules } from './rules.js';
import { trackKey, zoneHits, type ZoneCamera } from './zone-filter.js';

/**
 * Per-camera scorer: turns per-frame detections into violation events. A pure reducer over plain data
 * (serializable, never mutated); it reads time only from its input, so a file analyzed at full speed
 * scores exactly like the same video live.
 *
 * Per (zone, violation type) track:
 *  - A *candidate* starts at the first qualifying sighting. It is dropped when the K-of-M window has
 *    emptied (M analyzed frames in a row without a sighting) or when the next sighting comes more than
 *    endAfterSec after the previous one (a different incident).
 *  - Presence is the time the candidate has been alive, summed over consecutive analyzed frames; a step
 *    longer than maxGapSec is an analysis outage (camera offline) and adds nothing, so dwell counts only
 *    time the camera was actually watching.
 *  - An event *opens* on a frame that is a sighting, with ≥ K sightings in the last M analyzed frames
 *    and presence ≥ dwellSec, unless the track is cooling down. startedAt = the candidate's first
 *    sighting, confirmedAt = this frame. At most one open event per track.
 *  - While open, sightings advance lastSeenAt and the peak; `updated` is emitted on a sighting when the
 *    peak rose by more than minPeakGain since the last emission, or updateEverySec has passed.
 *  - It *ends* on a frame without a sighting once lastSeenAt is ≥ endAfterSec ago and the last M analyzed
 *    frames were all misses (so a camera coming back from an outage must actually show the scene empty);
 *    endedAt = lastSeenAt. Then no new event opens on the track for cooldownSec from that frame.
 */

/** A frame in which the track's violation was seen. */
export interface Sighting {
  at: number;
  score: number;
  /** Copies of the detections that counted, best first, capped. */
  boxes: Detection[];
  model: string;
}

/** Evidence of a violation that has not (yet) met the rule. */
export interface Candidate {
  since: number;
  lastSeenAt: number;
  /** Time alive, outage steps excluded. */
  presenceMs: number;
  first: Sighting;
  peak: Sighting;
}

export interface TrackState {
  zoneId: string;
  type: ViolationType;
  /** Hit/miss of the last M analyzed frames, oldest first. */
  ring: boolean[];
  /** Analyzed frames in a row without a sighting. */
  missStreak: number;
  /** Detections that counted in the latest analyzed frame (empty on a miss). */
  lastBoxes: Detection[];
  candidate: Candidate | null;
  event: PatrolEvent | null;
  /** What the last emitted change said, to throttle `updated`. */
  emitted: { at: number; peakScore: number; lastSeenAt: number } | null;
  /** No event may open on this track before this time. */
  cooldownUntil: number | null;
}

export interface CameraScoreState {
  /** Timestamp of the last analyzed frame; older or equal frames are ignored. */
  lastAnalyzedAt: number | null;
  /** Keyed by trackKey(zoneId, type). */
  tracks: Record<string, TrackState>;
}

export interface ScorerOptions {
  /** Emit `updated` at most this often while nothing else changes (default 30). */
  updateEverySec?: number;
  /** Emit `updated` at once when the peak score rose by more than this (default 0.05). */
  minPeakGain?: number;
  /** A step between analyzed frames longer than this is an outage (default max(3 × intervalSec, 15)). */
  maxGapSec?: number;
  /** Cap on bestBoxes (default 20). */
  maxBoxes?: number;
}

export interface ScoreContext {
  camera: ZoneCamera & Partial<Pick<CameraConfig, 'intervalSec'>>;
  rules: Rules;
  options?: ScorerOptions;
}

export interface ScoreInput {
  detections: Detections;
  /** The analyzed frame's timestamp (epoch ms); defaults to detections.timestamp. */
  analyzedAt?: number;
}

/**
 * What one (zone, type) track shows after a step: what evidence needs to keep the right pictures, so it
 * never has to read the scorer's state or apply the zone rules again.
 */
export interface TrackReport {
  /** trackKey(zoneId, type). */
  key: string;
  zoneId: string;
  type: ViolationType;
  /** The detections that counted for this track in this frame, in detection order (none on a miss). */
  hits: Detection[];
  /** The open event, if any. */
  event: PatrolEvent | null;
  /** A violation seen but not yet confirmed: when it was first seen, and that sighting's boxes. */
  candidate: { since: number; firstBoxes: Detection[] } | null;
}

export interface StepResult {
  state: CameraScoreState;
  changes: EventChange[];
  /** Every track of the new state, in its order. */
  tracks: TrackReport[];
}

function reportTracks(tracks: Record<string, TrackState>, hits: ReadonlyMap<string, Detection[]>): TrackReport[] {
  return Object.entries(tracks).map(([key, tr]) => ({
    key,
    zoneId: tr.zoneId,
    type: tr.type,
    hits: hits.get(key) ?? [],
    event: tr.event,
    candidate: tr.candidate && { since: tr.candidate.since, firstBoxes: tr.candidate.first.boxes },
  }));
}

export function createCameraScoreState(): CameraScoreState {
  return { lastAnalyzedAt: null, tracks: {} };
}

/** Deterministic, so a retried or restored pipeline names the same incident the same way. */
export function eventId(cameraId: string, zoneId: string, type: ViolationType, startedAt: number): string {
  return `${cameraId}.${zoneId}.${type}.${Math.floor(startedAt).toString(36)}`;
}

function newTrack(zoneId: string, type: ViolationType): TrackState {
  return { zoneId, type, ring: [], missStreak: 0, lastBoxes: [], candidate: null, event: null, emitted: null, cooldownUntil: null };
}

function sighting(at: number, detections: readonly Detection[], model: string, maxBoxes: number): Sighting | null {
  if (detections.length === 0) return null;
  const boxes = [...detections]
    .sort((a, b) => b.score - a.score)
    .slice(0, maxBoxes)
    .map((d): Detection => ({ ...d, box: [d.box[0], d.box[1], d.box[2], d.box[3]] }));
  return { at, score: boxes[0]!.score, boxes, model };
}

interface Resolved {
  t: number;
  stepMs: number;
  outage: boolean;
  updateEveryMs: number;
  minPeakGain: number;
  cameraId: string;
  /** Dwell is met this much early: frames are sampled, and live arrival times jitter around the grid. */
  dwellSlackMs: number;
}

function stepTrack(prev: TrackState, seen: Sighting | null, ctx: ScoreContext, r: Resolved): { track: TrackState; change?: EventChange } {
  const rule = ctx.rules[prev.type];
  const { t } = r;
  const hit = seen !== null;
  const ring = [...prev.ring, hit].slice(-rule.window);
  const missStreak = hit ? 0 : prev.missStreak + 1;
  const base: TrackState = { ...prev, ring, missStreak, lastBoxes: seen?.boxes ?? [] };

  if (prev.event) {
    const ev = prev.event;
    if (seen) {
      const better = seen.score > ev.peakScore;
      const event: PatrolEvent = better
        ? { ...ev, lastSeenAt: t, peakScore: seen.score, peakAt: t, bestBoxes: seen.boxes, model: seen.model }
        : { ...ev, lastSeenAt: t };
      const emitted = prev.emitted ?? { at: ev.confirmedAt, peakScore: ev.peakScore, lastSeenAt: ev.lastSeenAt };
      const due = event.peakScore - emitted.peakScore > r.minPeakGain || t - emitted.at >= r.updateEveryMs;
      if (!due) return { track: { ...base, event } };
      return {
        track: { ...base, event, emitted: { at: t, peakScore: event.peakScore, lastSeenAt: t } },
        change: { kind: 'updated', event },
      };
    }
    if (t - ev.lastSeenAt >= rule.endAfterSec * 1000 && missStreak >= rule.window) {
      const event: PatrolEvent = { ...ev, endedAt: ev.lastSeenAt };
      return {
        track: { ...base, ring: [], event: null, candidate: null, emitted: null, cooldownUntil: t + rule.cooldownSec * 1000 },
        change: { kind: 'ended', event },
      };
    }
    return { track: base };
  }

  let candidate = prev.candidate;
  if (candidate && (missStreak >= rule.window || (seen && t - candidate.lastSeenAt > rule.endAfterSec * 1000))) candidate = null;
  if (seen) {
    candidate = candidate
      ? {
          ...candidate,
          lastSeenAt: t,
          presenceMs: candidate.presenceMs + (r.outage ? 0 : r.stepMs),
          peak: seen.score > candidate.peak.score ? seen : candidate.peak,
        }
      : { since: t, lastSeenAt: t, presenceMs: 0, first: seen, peak: seen };
  } else if (candidate) {
    candidate = { ...candidate, presenceMs: candidate.presenceMs + (r.outage ? 0 : r.stepMs) };
  }

  const cooling = prev.cooldownUntil !== null && t < prev.cooldownUntil;
  const hits = ring.reduce((n, h) => n + (h ? 1 : 0), 0);
  if (!seen || !candidate || cooling || hits < rule.hits || candidate.presenceMs < rule.dwellSec * 1000 - r.dwellSlackMs) {
    return { track: { ...base, candidate } };
  }

  const event: PatrolEvent = {
    id: eventId(r.cameraId, prev.zoneId, prev.type, candidate.since),
    cameraId: r.cameraId,
    zoneId: prev.zoneId,
    type: prev.type,
    startedAt: candidate.since,
    confirmedAt: t,
    lastSeenAt: t,
    endedAt: null,
    peakScore: candidate.peak.score,
    peakAt: candidate.peak.at,
    bestBoxes: candidate.peak.boxes,
    model: candidate.peak.model,
    evidence: { sha256: {} },
  };
  return {
    track: { ...base, candidate: null, event, cooldownUntil: null, emitted: { at: t, peakScore: event.peakScore, lastSeenAt: t } },
    change: { kind: 'opened', event },
  };
}

/** Advance one camera's scorer by one analyzed frame. */
export function step(state: CameraScoreState, input: ScoreInput, ctx: ScoreContext): StepResult {
  const { detections } = input;
  const t = input.analyzedAt ?? detections.timestamp;
  if (!Number.isFinite(t)) throw new Error(`scorer: frame timestamp ${t} is not a finite number`);
  if (detections.cameraId !== ctx.camera.id) {
    throw new Error(`scorer: detections from camera '${detections.cameraId}' fed to the scorer of '${ctx.camera.id}'`);
  }
  // Replayed or out-of-order frames would move time backwards; they carry nothing new.
  if (state.lastAnalyzedAt !== null && t <= state.lastAnalyzedAt) return { state, changes: [], tracks: reportTracks(state.tracks, new Map()) };

  const o = ctx.options ?? {};
  const maxGapMs = (o.maxGapSec ?? Math.max(3 * (ctx.camera.intervalSec ?? 5), 15)) * 1000;
  const stepMs = state.lastAnalyzedAt === null ? 0 : t - state.lastAnalyzedAt;
  const r: Resolved = {
    t,
    stepMs,
    outage: stepMs > maxGapMs,
    updateEveryMs: (o.updateEverySec ?? 30) * 1000,
    minPeakGain: o.minPeakGain ?? 0.05,
    cameraId: ctx.camera.id,
    dwellSlackMs: ((ctx.camera.intervalSec ?? 0) * 1000) / 2,
  };
  const maxBoxes = o.maxBoxes ?? 20;

  const tracks: Record<string, TrackState> = {};
  const changes: EventChange[] = [];
  const hits = new Map<string, Detection[]>();
  for (const zh of zoneHits(detections.items, ctx.camera, ctx.rules)) {
    const key = trackKey(zh.zoneId, zh.type);
    hits.set(key, zh.detections);
    const prev = state.tracks[key] ?? newTrack(zh.zoneId, zh.type);
    const res = stepTrack(prev, sighting(t, zh.detections, detections.model, maxBoxes), ctx, r);
    tracks[key] = res.track;
    if (res.change) changes.push(res.change);
  }
  // A zone or type no longer watched (config changed) lets its open event run out instead of leaking it.
  for (const key of Object.keys(state.tracks).sort()) {
    const prev = state.tracks[key]!;
    if (key in tracks || !prev.event) continue;
    const res = stepTrack(prev, null, ctx, r);
    if (res.track.event) tracks[key] = res.track;
    if (res.change) changes.push(res.change);
  }
  return { state: { lastAnalyzedAt: t, tracks }, changes, tracks: reportTracks(tracks, hits) };
}

/** Events currently open, for recovery bookkeeping and shutdown. */
export function openEvents(state: CameraScoreState): PatrolEvent[] {
  return Object.values(state.tracks).flatMap((tr) => (tr.event ? [tr.event] : []));
}

/**
 * For shutdown: ends nothing (the incident may well go on while we are down), but emits `updated` for
 * every open event whose latest state has not been emitted, so the store holds it before we exit.
 */
export function flush(state: CameraScoreState, now: number): StepResult {
  const tracks: Record<string, TrackState> = {};
  const changes: EventChange[] = [];
  for (const [key, tr] of Object.entries(state.tracks)) {
    const ev = tr.event;
    if (ev && (!tr.emitted || tr.emitted.lastSeenAt !== ev.lastSeenAt || tr.emitted.peakScore !== ev.peakScore)) {
      tracks[key] = { ...tr, emitted: { at: now, peakScore: ev.peakScore, lastSeenAt: ev.lastSeenAt } };
      changes.push({ kind: 'updated', event: ev });
    } else {
      tracks[key] = tr;
    }
  }
  return { state: { ...state, tracks }, changes, tracks: reportTracks(tracks, new Map()) };
}

/**
 * Scorer state rebuilt from the event store after a crash, so the restarted pipeline updates and ends
 * the open events instead of opening duplicates. Pass one camera's open events, plus, with `rules`, its
 * recently ended ones so their cooldown survives the restart too. The moment an event was ended is not
 * recorded, so its cooldown is taken to run from endedAt + endAfterSec (the earliest it can have ended).
 * If a store somehow holds two open events for one track, the later one wins.
 */
export function restore(events: readonly PatrolEvent[], rules?: Rules): CameraScoreState {
  const cameras = new Set(events.map((e) => e.cameraId));
  if (cameras.size > 1) throw new Error(`scorer.restore: events of several cameras (${[...cameras].join(', ')}); restore one camera at a time`);
  const tracks: Record<string, TrackState> = {};
  let lastAnalyzedAt: number | null = null;
  for (const ev of [...events].sort((a, b) => a.startedAt - b.startedAt)) {
    const key = trackKey(ev.zoneId, ev.type);
    if (ev.endedAt === null) {
      tracks[key] = {
        ...newTrack(ev.zoneId, ev.type),
        event: ev,
        emitted: { at: ev.lastSeenAt, peakScore: ev.peakScore, lastSeenAt: ev.lastSeenAt },
      };
      lastAnalyzedAt = Math.max(lastAnalyzedAt ?? -Infinity, ev.lastSeenAt);
    } else if (rules && !tracks[key]?.event) {
      const rule = rules[ev.type];
      const until = ev.endedAt + (rule.endAfterSec + rule.cooldownSec) * 1000;
      const prev = tracks[key]?.cooldownUntil ?? -Infinity;
      tracks[key] = { ...newTrack(ev.zoneId, ev.type), cooldownUntil: Math.max(until, prev) };
    }
  }
  return { lastAnalyzedAt, tracks };
}
