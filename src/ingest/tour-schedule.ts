/**
 * Who a tour visits next: pure functions over the cameras' tour bookkeeping, with the clock passed in, so
 * the runner (tour-runner.ts) only arms timers and the policy is tested without any.
 *
 * A camera is due `intervalMs` after its last visit began, where intervalMs is its revisit interval divided
 * by its priority now (a hotspot at 2 is due twice as often; market hours raise it). Free visit slots go to
 * the due cameras in order of lateness — time since the last visit over the interval — so under overload
 * every camera's lateness grows alike: each is visited less often in proportion to its interval (a hotspot
 * keeps its advantage), and a camera waiting longer only climbs the order, so nobody starves.
 */
export interface TourEntry {
  id: string;
  /** Revisit interval now, priority applied (ms). */
  intervalMs: number;
  /** When the last successful visit began (or the camera was released from a hold); undefined: never visited. */
  lastVisitAt?: number;
  /**
   * The deadline the next visit is measured against for an interval miss: set when a visit succeeds, cleared
   * when one fails (an outage is the camera's fault, not the tour's, as for held cameras).
   */
  missDeadline?: number;
  /** Not before this (backoff after a failed visit). */
  notBefore?: number;
  /** Held open (a candidate or open event): not toured. */
  held: boolean;
  /** A visit is in progress. */
  visiting: boolean;
}

/** When the camera is next due (epoch ms); -Infinity when never visited. */
export function dueAt(e: TourEntry): number {
  const due = e.lastVisitAt === undefined ? -Infinity : e.lastVisitAt + e.intervalMs;
  return Math.max(due, e.notBefore ?? -Infinity);
}

/** Time since the last visit over the interval: 1 = exactly due; Infinity when never visited. */
export function lateness(e: TourEntry, now: number): number {
  return e.lastVisitAt === undefined ? Infinity : (now - e.lastVisitAt) / e.intervalMs;
}

function eligible(e: TourEntry): boolean {
  return !e.held && !e.visiting;
}

/**
 * Up to `free` cameras to visit now: due, not held, not being visited, not backing off; the latest first
 * (ties: the one due earliest, then by id, so the order is stable).
 */
export function chooseVisits(entries: Iterable<TourEntry>, free: number, now: number): string[] {
  if (free <= 0) return [];
  const due: TourEntry[] = [];
  for (const e of entries) if (eligible(e) && dueAt(e) <= now) due.push(e);
  due.sort((a, b) => lateness(b, now) - lateness(a, now) || dueAt(a) - dueAt(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return due.slice(0, free).map((e) => e.id);
}

/** When the scheduler should look again (the earliest due time of a camera that could be visited); undefined: none. */
export function nextWakeAt(entries: Iterable<TourEntry>): number | undefined {
  let at: number | undefined;
  for (const e of entries) {
    if (!eligible(e)) continue;
    const d = dueAt(e);
    if (at === undefined || d < at) at = d;
  }
  return at;
}

/** A visit begins at `now`: true when it is an interval miss (later than its deadline plus `tolerance` of the interval). */
export function isMiss(e: TourEntry, now: number, tolerance: number): boolean {
  return e.missDeadline !== undefined && now > e.missDeadline + tolerance * e.intervalMs;
}

/** The visit that began at `startedAt` brought a frame: the next is due an interval after its start. */
export function visited(e: TourEntry, startedAt: number): TourEntry {
  return { ...e, visiting: false, lastVisitAt: startedAt, missDeadline: startedAt + e.intervalMs, notBefore: undefined };
}

/** The visit failed: retry after `retryAt`; the next successful visit is not measured for a miss. */
export function failed(e: TourEntry, retryAt: number): TourEntry {
  return { ...e, visiting: false, notBefore: retryAt, missDeadline: undefined };
}

/** Released from a hold at `now`: it was watched until now, so the next visit is an interval later. */
export function released(e: TourEntry, now: number): TourEntry {
  return { ...e, held: false, lastVisitAt: now, missDeadline: now + e.intervalMs, notBefore: undefined };
}
