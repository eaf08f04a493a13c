import { EVIDENCE_FILES, type Evidence, type PatrolEvent } from '../../contracts/event.js';

/** Which of two snapshots of the same event is newer: later sighting first, an ended one wins a tie. */
function isNewer(a: PatrolEvent, b: PatrolEvent): boolean {
  if (a.lastSeenAt !== b.lastSeenAt) return a.lastSeenAt > b.lastSeenAt;
  if ((a.endedAt !== null) !== (b.endedAt !== null)) return a.endedAt !== null;
  // Same sighting, same end state: pick deterministically so the result never depends on arrival order.
  return JSON.stringify(a) >= JSON.stringify(b);
}

function mergeEvidence(newer: Evidence, older: Evidence): Evidence {
  const out: Evidence = { sha256: { ...older.sha256, ...newer.sha256 } };
  for (const k of EVIDENCE_FILES) {
    const v = newer[k] ?? older[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/**
 * Combines two snapshots of one event that arrived as queue messages, in any order. The pipeline sends
 * the whole event each time; messages can be retried, replayed after an outage or overtake each other,
 * so the result must not depend on arrival order: `merge(a, b)` equals `merge(b, a)`, and
 * `merge(a, a)` is `a`. An event that has ended stays ended; evidence files are never dropped.
 */
export function mergeEvent(a: PatrolEvent, b: PatrolEvent): PatrolEvent {
  const [newer, older] = isNewer(a, b) ? [a, b] : [b, a];
  const peak = a.peakScore > b.peakScore || (a.peakScore === b.peakScore && newer === a) ? a : b;
  const merged: PatrolEvent = {
    ...newer,
    startedAt: Math.min(a.startedAt, b.startedAt),
    confirmedAt: Math.min(a.confirmedAt, b.confirmedAt),
    lastSeenAt: Math.max(a.lastSeenAt, b.lastSeenAt),
    endedAt: newer.endedAt ?? older.endedAt,
    peakScore: peak.peakScore,
    bestBoxes: peak.bestBoxes,
    evidence: mergeEvidence(newer.evidence, older.evidence),
  };
  // peakAt belongs to the frame bestBoxes came from.
  if (peak.peakAt !== undefined) merged.peakAt = peak.peakAt;
  else delete merged.peakAt;
  return merged;
}
