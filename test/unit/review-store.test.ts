import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReviewStore } from '../../src/review/store/review-store.js';
import { reviewHandler } from '../../src/review/consumer.js';
import { ensureAdmin } from '../../src/review/auth/ensure-admin.js';
import { jobIdFor } from '../../src/dispatch/queue.js';
import { type DispatchMessage } from '../../src/contracts/dispatch-message.js';
import type { PatrolEvent } from '../../src/contracts/event.js';

let dir: string;
let store: ReviewStore;
let clock = 1_000_000;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'patrol-store-'));
  clock = 1_000_000;
  store = ReviewStore.open(dir, { now: () => clock });
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const event = (id: string, over: Partial<PatrolEvent> = {}): PatrolEvent => ({
  id,
  cameraId: 'cam-1',
  zoneId: 'zone-a',
  type: 'stall',
  startedAt: 100,
  confirmedAt: 200,
  lastSeenAt: 200,
  endedAt: null,
  peakScore: 0.6,
  bestBoxes: [],
  model: 'm',
  evidence: { snapshot: `events/${id}/s.jpg`, sha256: { [`events/${id}/s.jpg`]: 'ab' } },
  ...over,
});
const msg = (kind: DispatchMessage['kind'], e: PatrolEvent, seq = 0): DispatchMessage => ({ jobId: jobIdFor(kind, e.id, seq), kind, event: e, publishedAt: e.lastSeenAt });
const operator = { id: null, username: 'op', role: 'operator' as const };
const supervisor = { id: null, username: 'sup', role: 'supervisor' as const };

describe('apply', () => {
  it('creates the event as new, in WAL mode under <storageDir>/review.db', () => {
    const r = store.apply(msg('opened', event('e1')));
    expect(r).toMatchObject({ applied: true, created: true, event: { id: 'e1', status: 'new', receivedAt: clock } });
    expect(existsSync(join(dir, 'review.db'))).toBe(true);
    expect(existsSync(join(dir, 'review.db-wal'))).toBe(true);
  });

  it('is idempotent by jobId: a redelivered message changes nothing', () => {
    const m = msg('opened', event('e1'));
    store.apply(m);
    const before = store.events.get('e1');
    clock += 5000;
    expect(store.apply(m)).toMatchObject({ applied: false });
    expect(store.apply({ ...m, event: { ...m.event, peakScore: 0.99 } })).toMatchObject({ applied: false });
    expect(store.events.get('e1')).toEqual(before);
    expect(store.events.timeline('e1')).toHaveLength(1);
  });

  it('tolerates order: ended before opened creates the event, and the late opened does not un-end it', () => {
    const ended = event('e2', { lastSeenAt: 900, endedAt: 1000, peakScore: 0.8 });
    expect(store.apply(msg('ended', ended))).toMatchObject({ applied: true, created: true });
    store.apply(msg('opened', event('e2')));
    const e = store.events.get('e2')!;
    expect(e.endedAt).toBe(1000);
    expect(e.lastSeenAt).toBe(900);
    expect(e.peakScore).toBe(0.8);
    expect(store.events.timeline('e2').map((t) => t.action).sort()).toEqual(['ended', 'opened']);
  });

  it('an "ended" message without endedAt still ends the event', () => {
    store.apply(msg('ended', event('e3', { lastSeenAt: 700 })));
    expect(store.events.get('e3')!.endedAt).toBe(700);
  });

  it('keeps the review status when the pipeline updates the event', () => {
    store.apply(msg('opened', event('e4')));
    store.events.act('e4', operator, 'confirm', {});
    store.apply(msg('updated', event('e4', { lastSeenAt: 500 }), 1));
    expect(store.events.get('e4')).toMatchObject({ status: 'confirmed', lastSeenAt: 500 });
  });

  it('rejects a malformed message, and the consumer parks it in dead_letters instead of retrying forever', async () => {
    const bad = { jobId: 'x', kind: 'opened', event: { id: 'nope' }, publishedAt: 1 } as unknown as DispatchMessage;
    expect(() => store.apply(bad)).toThrow();
    await reviewHandler(store)(bad);
    expect(store.deadLetterCount()).toBe(1);
    expect(store.events.get('nope')).toBeNull();
  });

  it('any interleaving of duplicated, reordered messages ends in the same state', () => {
    const msgs = [
      msg('opened', event('p1')),
      msg('updated', event('p1', { lastSeenAt: 300, peakScore: 0.7 }), 1),
      msg('updated', event('p1', { lastSeenAt: 400, peakScore: 0.9, evidence: { snapshot: 'events/p1/s.jpg', latest: 'l.jpg', sha256: { 'events/p1/s.jpg': 'ab', 'l.jpg': 'cd' } } }), 2),
      msg('ended', event('p1', { lastSeenAt: 400, endedAt: 460, peakScore: 0.9, evidence: { snapshot: 'events/p1/s.jpg', latest: 'l.jpg', clip: 'c.mp4', sha256: { 'events/p1/s.jpg': 'ab', 'l.jpg': 'cd', 'c.mp4': 'ef' } } })),
    ];
    const reference = (() => {
      const d = mkdtempSync(join(tmpdir(), 'patrol-store-ref-'));
      const s = ReviewStore.open(d);
      for (const m of msgs) s.apply(m);
      const e = s.events.get('p1')!;
      s.close();
      rmSync(d, { recursive: true, force: true });
      return e;
    })();
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...msgs), { minLength: 1, maxLength: 10 }), fc.context(), (sequence, c) => {
        const all = [...sequence, ...msgs]; // every message at least once, some several times, any order first
        const d = mkdtempSync(join(tmpdir(), 'patrol-store-prop-'));
        const s = ReviewStore.open(d);
        try {
          for (const m of all) s.apply(m);
          const e = s.events.get('p1')!;
          c.log(JSON.stringify(sequence.map((m) => m.jobId)));
          const { receivedAt: _a, updatedAt: _b, ...got } = e;
          const { receivedAt: _c, updatedAt: _d, ...want } = reference;
          expect(got).toEqual(want);
          expect(s.events.timeline('p1')).toHaveLength(msgs.length);
        } finally {
          s.close();
          rmSync(d, { recursive: true, force: true });
        }
      }),
      { numRuns: 40 },
    );
  });

  it('survives a restart (durable)', () => {
    store.apply(msg('opened', event('d1')));
    store.events.act('d1', operator, 'confirm', { note: 'ok' });
    store.close();
    store = ReviewStore.open(dir, { now: () => clock });
    expect(store.events.get('d1')!.status).toBe('confirmed');
    expect(store.apply(msg('opened', event('d1')))).toMatchObject({ applied: false });
  });
});

describe('act', () => {
  beforeEach(() => {
    store.apply(msg('opened', event('a1')));
  });

  it('records who, when, what and why, with the status change', () => {
    clock = 2_000_000;
    expect(store.events.act('a1', operator, 'reject', { reason: 'duplicate', note: 'same as a0' })).toMatchObject({ ok: true, event: { status: 'rejected', updatedAt: clock } });
    const entry = store.events.timeline('a1').find((t) => t.source === 'review');
    expect(entry).toEqual({ at: clock, source: 'review', action: 'reject', actor: 'op', fromStatus: 'new', toStatus: 'rejected', reason: 'duplicate', note: 'same as a0' });
  });

  it('validates input per action', () => {
    expect(store.events.act('a1', operator, 'reject', { reason: 'other' })).toMatchObject({ ok: false, code: 'invalid_input' });
    expect(store.events.act('a1', operator, 'reject', { reason: 'nope' })).toMatchObject({ ok: false, code: 'invalid_input' });
    expect(store.events.act('a1', supervisor, 'dispatch', {})).toMatchObject({ ok: false, code: 'invalid_input' });
    expect(store.events.act('a1', supervisor, 'dispatch', { gridCell: 'G1', extra: true })).toMatchObject({ ok: false, code: 'invalid_input' });
    expect(store.events.get('a1')!.status).toBe('new');
  });

  it('checks role and current status inside the transaction: the second of two confirms gets invalid_transition', () => {
    expect(store.events.act('a1', operator, 'dispatch', { squad: 'A' })).toMatchObject({ ok: false, code: 'forbidden' });
    expect(store.events.act('a1', operator, 'confirm', {})).toMatchObject({ ok: true });
    expect(store.events.act('a1', { ...operator, username: 'op2' }, 'confirm', {})).toMatchObject({ ok: false, code: 'invalid_transition' });
    expect(store.events.act('missing', operator, 'confirm', {})).toMatchObject({ ok: false, code: 'not_found' });
  });

  it('notifies subscribers after commit, and a throwing subscriber does not fail the write', () => {
    const heard: string[] = [];
    store.events.onChange(() => {
      throw new Error('listener bug');
    });
    const off = store.events.onChange((n) => heard.push(`${n.cause}:${n.event.status}`));
    expect(store.events.act('a1', operator, 'confirm', {}).ok).toBe(true);
    store.apply(msg('updated', event('a1', { lastSeenAt: 999 }), 3));
    off();
    store.apply(msg('updated', event('a1', { lastSeenAt: 1999 }), 4));
    expect(heard).toEqual(['confirm:confirmed', 'updated:confirmed']);
  });
});

describe('list and stats', () => {
  beforeEach(() => {
    const specs: [string, string, 'stall' | 'dumping' | 'burning', number, number][] = [
      ['l1', 'cam-1', 'stall', 1000, 0.5],
      ['l2', 'cam-2', 'dumping', 2000, 0.9],
      ['l3', 'cam-1', 'burning', 3000, 0.7],
      ['l4', 'cam-2', 'stall', 3000, 0.6],
    ];
    for (const [id, cam, type, at, score] of specs) store.apply(msg('opened', event(id, { cameraId: cam, type, confirmedAt: at, startedAt: at - 10, lastSeenAt: at, peakScore: score })));
  });

  it('sorts stably (ties broken by id) and pages', () => {
    expect(store.events.list().items.map((e) => e.id)).toEqual(['l4', 'l3', 'l2', 'l1']);
    expect(store.events.list({ order: 'asc' }).items.map((e) => e.id)).toEqual(['l1', 'l2', 'l3', 'l4']);
    const p = store.events.list({ limit: 3, offset: 3 });
    expect(p).toMatchObject({ total: 4, limit: 3, offset: 3 });
    expect(p.items.map((e) => e.id)).toEqual(['l1']);
    expect(store.events.list({ limit: 10_000 }).limit).toBe(200);
  });

  it('filters combine with AND, values within a filter with OR', () => {
    expect(store.events.list({ camera: ['cam-1'], type: ['stall', 'burning'] }).items.map((e) => e.id)).toEqual(['l3', 'l1']);
    expect(store.events.list({ from: 2000, to: 3000, sort: 'peakScore' }).items.map((e) => e.id)).toEqual(['l2', 'l3', 'l4']);
  });

  it('is not injectable through filter values', () => {
    expect(store.events.list({ camera: ["cam-1' OR 1=1 --"] }).total).toBe(0);
  });

  it('counts by type, status and both', () => {
    store.events.act('l1', operator, 'confirm', {});
    expect(store.events.stats()).toEqual({
      total: 4,
      byType: { stall: 2, dumping: 1, burning: 1 },
      byStatus: { new: 3, confirmed: 1 },
      byTypeStatus: { stall: { new: 1, confirmed: 1 }, dumping: { new: 1 }, burning: { new: 1 } },
    });
    expect(store.events.stats({ camera: ['cam-2'] }).total).toBe(2);
  });
});

describe('users and sessions', () => {
  it('ensureAdmin creates admin once, with a generated password returned to print', async () => {
    const first = await ensureAdmin(store, {});
    expect(first).toMatchObject({ created: true, username: 'admin' });
    expect(first.password).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(await store.users.verifyLogin('admin', first.password!)).toMatchObject({ role: 'admin' });
    expect(await ensureAdmin(store, {})).toEqual({ created: false });
  });

  it('ensureAdmin takes PATROL_ADMIN_PASSWORD and does not echo it', async () => {
    const r = await ensureAdmin(store, { PATROL_ADMIN_PASSWORD: 'from-the-environment' });
    expect(r).toEqual({ created: true, username: 'admin' });
    expect(await store.users.verifyLogin('ADMIN', 'from-the-environment')).not.toBeNull();
  });

  it('sessions expire, and only a hash of the token is stored', async () => {
    const u = await store.users.create({ username: 'li.na', password: 'a-long-passphrase', role: 'operator' });
    const { token, expiresAt } = store.users.createSession(u.id, 60_000);
    expect(expiresAt).toBe(clock + 60_000);
    expect(store.users.sessionUser(token)).toMatchObject({ username: 'li.na' });
    clock += 60_001;
    expect(store.users.sessionUser(token)).toBeNull();
    expect(store.users.sessionUser(undefined)).toBeNull();
    expect(store.users.sessionUser('x'.repeat(1000))).toBeNull();
  });

  it('changing a password ends the user\'s sessions', async () => {
    const u = await store.users.create({ username: 'wang', password: 'a-long-passphrase', role: 'operator' });
    const { token } = store.users.createSession(u.id);
    await store.users.setPassword(u.id, 'another-long-passphrase');
    expect(store.users.sessionUser(token)).toBeNull();
    expect(await store.users.verifyLogin('wang', 'a-long-passphrase')).toBeNull();
    expect(await store.users.verifyLogin('wang', 'another-long-passphrase')).not.toBeNull();
  });
});
