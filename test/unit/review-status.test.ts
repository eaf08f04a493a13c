import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { allowedActions, hasRole, REVIEW_ACTIONS, REVIEW_STATUSES, ROLES, transition, TRANSITIONS } from '../../src/review/store/status.js';

describe('review status machine', () => {
  it('follows new → confirmed/rejected → dispatched → closed', () => {
    expect(transition('new', 'confirm', 'operator')).toEqual({ ok: true, from: 'new', to: 'confirmed' });
    expect(transition('new', 'reject', 'operator')).toEqual({ ok: true, from: 'new', to: 'rejected' });
    expect(transition('confirmed', 'dispatch', 'supervisor')).toEqual({ ok: true, from: 'confirmed', to: 'dispatched' });
    expect(transition('dispatched', 'close', 'supervisor')).toEqual({ ok: true, from: 'dispatched', to: 'closed' });
  });

  it('keeps dispatch and close for supervisors and admins', () => {
    expect(transition('confirmed', 'dispatch', 'operator')).toMatchObject({ ok: false, code: 'forbidden' });
    expect(transition('dispatched', 'close', 'operator')).toMatchObject({ ok: false, code: 'forbidden' });
    expect(transition('confirmed', 'dispatch', 'admin')).toMatchObject({ ok: true });
  });

  it('refuses transitions out of the wrong status', () => {
    expect(transition('closed', 'confirm', 'admin')).toMatchObject({ ok: false, code: 'invalid_transition' });
    expect(transition('dispatched', 'reject', 'admin')).toMatchObject({ ok: false, code: 'invalid_transition' });
    expect(transition('rejected', 'dispatch', 'admin')).toMatchObject({ ok: false, code: 'invalid_transition' });
    expect(transition('new', 'close', 'admin')).toMatchObject({ ok: false, code: 'invalid_transition' });
  });

  it('closed is terminal for everyone', () => {
    for (const role of ROLES) expect(allowedActions('closed', role)).toEqual([]);
  });

  it('offers operators confirm/reject only', () => {
    expect(allowedActions('new', 'operator')).toEqual(['confirm', 'reject']);
    expect(allowedActions('new', 'supervisor')).toEqual(['confirm', 'reject', 'dispatch']);
    expect(allowedActions('dispatched', 'supervisor')).toEqual(['close']);
  });

  it('roles are ordered: a higher role can do whatever a lower one can', () => {
    fc.assert(
      fc.property(fc.constantFrom(...REVIEW_STATUSES), fc.constantFrom(...REVIEW_ACTIONS), fc.constantFrom(...ROLES), fc.constantFrom(...ROLES), (status, action, a, b) => {
        if (hasRole(a, b) && transition(status, action, b).ok) expect(transition(status, action, a).ok).toBe(true);
      }),
    );
  });

  it('from any status, any sequence of allowed actions ends in a known status and never leaves closed', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...REVIEW_ACTIONS), fc.constantFrom(...ROLES)), { maxLength: 12 }), (steps) => {
        let status: (typeof REVIEW_STATUSES)[number] = 'new';
        let closed = false;
        for (const [action, role] of steps) {
          const r = transition(status, action, role);
          if (r.ok) {
            expect(r.to).toBe(TRANSITIONS[action].to);
            expect(closed).toBe(false);
            status = r.to;
            if (status === 'closed') closed = true;
          }
        }
        expect(REVIEW_STATUSES).toContain(status);
      }),
    );
  });
});
