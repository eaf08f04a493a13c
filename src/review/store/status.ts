/**
 * The review status model, as a small pure state machine:
 *
 *   new ──confirm──▶ confirmed ──dispatch──▶ dispatched ──close──▶ closed
 *    │                  │  ▲                                         ▲
 *    ├──reject──────────┴──┼──▶ rejected ──close─────────────────────┤
 *    └──dispatch (supervisor: urgent, confirms implicitly)           │
 *                       confirmed ──close (resolved on its own)──────┘
 *
 * Operators review (confirm, reject); supervisors also dispatch and close; admins can do everything.
 */

export const REVIEW_STATUSES = ['new', 'confirmed', 'rejected', 'dispatched', 'closed'] as const;
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];

export const ROLES = ['operator', 'supervisor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const REVIEW_ACTIONS = ['confirm', 'reject', 'dispatch', 'close'] as const;
export type ReviewAction = (typeof REVIEW_ACTIONS)[number];

interface Transition {
  from: readonly ReviewStatus[];
  to: ReviewStatus;
  minRole: Role;
}

export const TRANSITIONS: Readonly<Record<ReviewAction, Transition>> = {
  confirm: { from: ['new'], to: 'confirmed', minRole: 'operator' },
  // An operator may change their mind after confirming, but not once a squad is on its way.
  reject: { from: ['new', 'confirmed'], to: 'rejected', minRole: 'operator' },
  dispatch: { from: ['new', 'confirmed'], to: 'dispatched', minRole: 'supervisor' },
  close: { from: ['confirmed', 'rejected', 'dispatched'], to: 'closed', minRole: 'supervisor' },
};

/** Roles are ordered: each one can do everything the previous one can. */
export function hasRole(role: Role, min: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(min);
}

export type TransitionResult =
  | { ok: true; from: ReviewStatus; to: ReviewStatus }
  | { ok: false; code: 'forbidden' | 'invalid_transition'; message: string };

export function transition(status: ReviewStatus, action: ReviewAction, role: Role): TransitionResult {
  const t = TRANSITIONS[action];
  if (!hasRole(role, t.minRole)) {
    return { ok: false, code: 'forbidden', message: `${action} needs the ${t.minRole} role; you are ${role}` };
  }
  if (!t.from.includes(status)) {
    return { ok: false, code: 'invalid_transition', message: `cannot ${action} an event that is ${status} (allowed from: ${t.from.join(', ')})` };
  }
  return { ok: true, from: status, to: t.to };
}

/** Actions the UI should offer for this status and role. */
export function allowedActions(status: ReviewStatus, role: Role): ReviewAction[] {
  return REVIEW_ACTIONS.filter((a) => transition(status, a, role).ok);
}
