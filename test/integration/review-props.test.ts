/** Property-based tests over the API's inputs: whatever arrives, the answer is a deliberate 2xx/4xx, never a 500. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { reviewFixture, type ReviewFixture } from '../e2e/harness.js';
import { REVIEW_ACTIONS, transition, type ReviewAction } from '../../src/review/store/status.js';
import { REJECT_REASONS } from '../../src/review/store/action-input.js';
import type { Role } from '../../src/review/store/status.js';

let fx: ReviewFixture;
const cookies = {} as Record<Role, string>;
beforeAll(async () => {
  fx = await reviewFixture();
  for (const r of ['operator', 'supervisor', 'admin'] as const) cookies[r] = await fx.login(r);
});
afterAll(async () => fx?.close());

const text = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('', ' ', '../../etc/passwd', '<script>alert(1)</script>', "'; DROP TABLE events; --", '二中队', 'x'.repeat(2000)));
const actionBody = fc.oneof(
  fc.record({ reason: fc.oneof(fc.constantFrom(...REJECT_REASONS), text), note: fc.option(text, { nil: undefined }) }, { requiredKeys: [] }),
  fc.record({ squad: text, gridCell: text, note: text }, { requiredKeys: [] }),
  fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 })),
  fc.jsonValue({ maxDepth: 2 }),
);

describe('API inputs (fast-check)', () => {
  it('actions: any body, any role → 200 exactly when the state machine allows it and the input is valid; the status follows', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...REVIEW_ACTIONS), fc.constantFrom<Role>('operator', 'supervisor', 'admin'), fc.constantFrom(...fx.seeded.map((s) => s.event.id)), actionBody, async (action: ReviewAction, role, id, body) => {
        const before = fx.store.events.get(id)!.status;
        const res = await fx.app.inject({ method: 'POST', url: `/api/events/${id}/${action}`, payload: JSON.stringify(body), headers: { cookie: cookies[role], 'content-type': 'application/json' } });
        expect([200, 400, 403, 409, 413]).toContain(res.statusCode);
        const after = fx.store.events.get(id)!.status;
        const allowed = transition(before, action, role);
        if (res.statusCode === 200) {
          expect(allowed.ok).toBe(true);
          expect(after).toBe(allowed.ok ? allowed.to : '?');
        } else {
          expect(after).toBe(before);
          if (!allowed.ok && allowed.code === 'forbidden') expect(res.statusCode).toBe(403);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('event list: any query string → 200 or 400', async () => {
    const key = fc.constantFrom('camera', 'zone', 'type', 'status', 'from', 'to', 'limit', 'offset', 'sort', 'order', 'x');
    const value = fc.oneof(text, fc.integer().map(String), fc.constantFrom('stall', 'new', 'asc', 'peakScore', '-1', '1e309', 'NaN'));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(key, value), { maxLength: 6 }), async (pairs) => {
        const qs = new URLSearchParams(pairs).toString();
        const res = await fx.app.inject({ url: `/api/events?${qs}`, headers: { cookie: cookies.operator } });
        expect([200, 400]).toContain(res.statusCode);
        if (res.statusCode === 200) expect(res.json().items.length).toBeLessThanOrEqual(200);
      }),
      // Infinity once slipped through Ajv's integer coercion into SQLite; keep those cases in every run.
      { numRuns: 300, examples: [[[['offset', '1e309']]], [[['from', '1e309']]], [[['limit', '-1e309']]]] },
    );
  });

  it('media: any name or id → never a 500, and only evidence fields are ever served', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.constantFrom('snapshot', 'clip', 'latest', 'firstSeen', 'confirmed'), text, fc.webPath()), fc.oneof(fc.constantFrom('evt-stall-0001', 'evt-burn-0003'), text), async (name, id) => {
        const res = await fx.app.inject({ url: `/api/events/${encodeURIComponent(id)}/media/${encodeURIComponent(name)}`, headers: { cookie: cookies.operator } });
        expect(res.statusCode).toBeLessThan(500);
        if (res.statusCode === 200) expect(['snapshot', 'clip', 'latest', 'firstSeen', 'confirmed']).toContain(name);
      }),
      { numRuns: 300 },
    );
  });

  it('login: any body → 400 or 401, never a session', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.record({ username: text, password: text }, { requiredKeys: [] }), fc.jsonValue({ maxDepth: 2 })), async (body) => {
        const res = await fx.app.inject({ method: 'POST', url: '/api/login', payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
        expect([400, 401, 413]).toContain(res.statusCode);
        expect(res.cookies).toHaveLength(0);
      }),
      { numRuns: 40 },
    );
  });
});
