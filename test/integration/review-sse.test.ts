import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { reviewFixture, type ReviewFixture } from '../e2e/harness.js';
import { jobIdFor } from '../../src/dispatch/queue.js';

let fx: ReviewFixture;
let base: string;
beforeAll(async () => {
  fx = await reviewFixture({ sseHeartbeatMs: 200 });
  base = await fx.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => fx?.close());

/** Opens the SSE stream and collects what arrives. */
function openStream(cookie?: string): Promise<{ res: IncomingMessage; text: () => string; ended: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}/api/stream`, { headers: cookie ? { cookie } : {} }, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (buf += d));
      const ended = new Promise<void>((r) => res.on('close', () => r()));
      resolve({ res, text: () => buf, ended });
    });
    req.on('error', reject);
    req.end();
  });
}

const until = async (cond: () => boolean, ms = 5000) => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('server-sent events', () => {
  it('refuses anonymous clients', async () => {
    const s = await openStream();
    expect(s.res.statusCode).toBe(401);
  });

  it('pushes new events and reviewer actions as they are committed', async () => {
    const cookie = await fx.login('operator');
    const s = await openStream(cookie);
    expect(s.res.statusCode).toBe(200);
    expect(s.res.headers['content-type']).toContain('text/event-stream');
    const e = { ...fx.seeded[0]!.event, id: 'evt-sse-1' };
    fx.store.apply({ jobId: jobIdFor('opened', e.id), kind: 'opened', event: e, publishedAt: Date.now() });
    await until(() => s.text().includes('evt-sse-1'));
    fx.store.events.act('evt-sse-1', { id: null, username: 'x', role: 'operator' }, 'confirm', {});
    await until(() => s.text().includes('"cause":"confirm"'));
    const frames = s.text().split('\n\n').filter((f) => f.startsWith('event: change'));
    const data = frames.map((f) => JSON.parse(f.split('\ndata: ')[1]!));
    expect(data.map((d) => [d.cause, d.event.id, d.event.status])).toEqual([
      ['opened', 'evt-sse-1', 'new'],
      ['confirm', 'evt-sse-1', 'confirmed'],
    ]);
    s.res.destroy();
  });

  it('ends the stream when the session ends (checked at each heartbeat)', async () => {
    const cookie = await fx.login('operator');
    const s = await openStream(cookie);
    await until(() => s.text().includes(': ping'));
    await fx.app.inject({ method: 'POST', url: '/api/logout', headers: { cookie } });
    await s.ended;
  });
});
