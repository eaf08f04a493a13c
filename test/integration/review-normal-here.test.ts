import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reviewFixture, type ReviewFixture } from '../e2e/harness.js';
import type { NormalHereNotice, NormalHereOutcome } from '../../src/contracts/scene-feedback.js';

/** A reject as "normal here" is recorded like any reject and handed to the scene model's sink. */
const NOW = Date.UTC(2026, 5, 1, 8, 0, 0);
let fx: ReviewFixture;
let cookie: string;
const received: NormalHereNotice[] = [];
let answer: () => Promise<NormalHereOutcome> = async () => 'applied';

beforeAll(async () => {
  fx = await reviewFixture({ now: NOW, sceneFeedback: { normalHere: async (n) => (received.push(n), answer()) } });
  cookie = await fx.login('operator');
});
afterAll(async () => fx?.close());

const reject = (id: string, body: object) => fx.app.inject({ method: 'POST', url: `/api/events/${id}/reject`, payload: body, headers: { cookie } });

describe('reject as "normal here"', () => {
  it('records the reject and hands the event\'s camera and boxes to the scene model', async () => {
    const res = await reject('evt-dump-0002', { reason: 'normal_here', note: '物业的垃圾暂存点' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ event: { status: 'rejected' }, sceneFeedback: 'applied' });
    const event = fx.store.events.get('evt-dump-0002')!;
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ cameraId: 'cam-river-road', eventId: 'evt-dump-0002', by: 'li.na', boxes: event.bestBoxes.map((b) => b.box) });
    expect(fx.store.events.timeline('evt-dump-0002').find((h) => h.action === 'reject')).toMatchObject({ reason: 'normal_here', note: '物业的垃圾暂存点' });
    const audit = fx.store.audit.list({ limit: 10, offset: 0 }).items.find((a) => a.action === 'event.reject' && a.target === 'evt-dump-0002');
    expect(audit?.detail).toMatchObject({ reason: 'normal_here', sceneFeedback: 'applied' });
  });

  it('a sink that fails does not fail the reject: it is recorded, the answer says the scene model did not hear it', async () => {
    answer = async () => {
      throw new Error('redis down');
    };
    const res = await reject('evt-stall-0001', { reason: 'normal_here' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ event: { status: 'rejected' }, sceneFeedback: 'unavailable' });
    answer = async () => 'applied';
  });

  it('other reasons, and refused rejects, teach nothing', async () => {
    const n = received.length;
    const other = await reject('evt-stall-0004', { reason: 'wrong_object' });
    expect(other.statusCode).toBe(200);
    expect(other.json().sceneFeedback).toBeUndefined();
    const again = await reject('evt-stall-0004', { reason: 'normal_here' });
    expect(again.statusCode).toBe(409);
    expect(received.length).toBe(n + 0);
  });

  it('the reason is offered to the UI through /api/meta', async () => {
    const meta = await fx.app.inject({ method: 'GET', url: '/api/meta', headers: { cookie } });
    expect(meta.json().rejectReasons).toContain('normal_here');
  });
});
