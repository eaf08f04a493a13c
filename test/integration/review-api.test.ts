import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync, appendFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { reviewFixture, TEST_CAMERAS, type ReviewFixture } from '../e2e/harness.js';
import { makeSeededEvent, sha256 } from '../e2e/seed.js';
import type { Role } from '../../src/review/store/status.js';

let fx: ReviewFixture;
let app: FastifyInstance;
const cookies = {} as Record<Role, string>;
const registered: { method: string; url: string }[] = [];
const NOW = Date.UTC(2026, 5, 1, 8, 0, 0);

beforeAll(async () => {
  fx = await reviewFixture({ now: NOW });
  app = fx.app;
  for (const role of ['operator', 'supervisor', 'admin'] as const) cookies[role] = await fx.login(role);
});
afterAll(async () => fx?.close());

const get = (url: string, role?: Role, headers: Record<string, string> = {}) =>
  app.inject({ method: 'GET', url, headers: { ...(role ? { cookie: cookies[role] } : {}), ...headers } });
const post = (url: string, role: Role | undefined, payload: unknown = {}, headers: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url, payload: payload as object, headers: { ...(role ? { cookie: cookies[role] } : {}), ...headers } });

/** Every API route, with the lowest role allowed. */
const ROUTES: { method: 'GET' | 'POST' | 'DELETE'; url: string; min: Role }[] = [
  { method: 'GET', url: '/api/me', min: 'operator' },
  { method: 'POST', url: '/api/me/password', min: 'operator' },
  { method: 'POST', url: '/api/logout', min: 'operator' },
  { method: 'GET', url: '/api/events', min: 'operator' },
  { method: 'GET', url: '/api/events/evt-stall-0001', min: 'operator' },
  { method: 'GET', url: '/api/events/evt-stall-0001/media/snapshot', min: 'operator' },
  { method: 'POST', url: '/api/events/evt-stall-0001/confirm', min: 'operator' },
  { method: 'POST', url: '/api/events/evt-stall-0001/reject', min: 'operator' },
  { method: 'POST', url: '/api/events/evt-stall-0001/dispatch', min: 'supervisor' },
  { method: 'POST', url: '/api/events/evt-stall-0001/close', min: 'supervisor' },
  { method: 'GET', url: '/api/stats', min: 'operator' },
  { method: 'GET', url: '/api/cameras', min: 'operator' },
  { method: 'GET', url: '/api/alerts', min: 'operator' },
  { method: 'GET', url: '/api/cameras/cam-east-gate/live', min: 'operator' },
  { method: 'GET', url: '/api/stream', min: 'operator' },
  { method: 'GET', url: '/api/meta', min: 'operator' },
  { method: 'GET', url: '/api/users', min: 'admin' },
  { method: 'POST', url: '/api/users', min: 'admin' },
  { method: 'POST', url: '/api/users/2/disable', min: 'admin' },
  { method: 'POST', url: '/api/users/2/enable', min: 'admin' },
  { method: 'POST', url: '/api/users/2/role', min: 'admin' },
  { method: 'POST', url: '/api/users/2/password', min: 'admin' },
  { method: 'DELETE', url: '/api/users/2', min: 'admin' },
  { method: 'GET', url: '/api/audit', min: 'admin' },
];
const send = (method: 'GET' | 'POST' | 'DELETE', url: string, role: Role | undefined, headers: Record<string, string> = {}, payload: object = {}) =>
  method === 'GET' ? get(url, role, headers) : method === 'POST' ? post(url, role, payload, headers) : app.inject({ method, url, headers: { ...(role ? { cookie: cookies[role] } : {}), ...headers } });

describe('auth on every route', () => {
  it('the route list above covers every /api route the server registered', async () => {
    // Collect the real routes from a second instance (onRoute must be added before ready()).
    const { buildReviewServer } = await import('../../src/review/server.js');
    const probe = buildReviewServer({ store: fx.store, storageDir: fx.dir, cameras: TEST_CAMERAS });
    probe.addHook('onRoute', (r) => {
      for (const m of [r.method].flat()) if (r.url.startsWith('/api/') && m !== 'HEAD') registered.push({ method: m, url: r.url });
    });
    await probe.ready();
    await probe.close();
    const pattern = (u: string) => u.replace(/\/users\/\d+/, '/users/:id').replace('evt-stall-0001', ':id').replace('cam-east-gate', ':id').replace('/media/snapshot', '/media/:name');
    const covered = new Set(ROUTES.map((r) => `${r.method} ${pattern(r.url)}`));
    const missing = registered.map((r) => `${r.method} ${r.url}`).filter((k) => k !== 'POST /api/login' && !covered.has(k));
    expect(missing).toEqual([]);
    expect(registered.length).toBeGreaterThanOrEqual(ROUTES.length);
  });

  it.each(ROUTES)('$method $url rejects anonymous requests with 401', async ({ method, url }) => {
    const res = await send(method, url, undefined);
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ error: 'unauthorized' });
  });

  it.each(ROUTES)('$method $url rejects a forged or expired session with 401', async ({ method, url }) => {
    const headers = { cookie: 'patrol_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' };
    const res = await send(method, url, undefined, headers);
    expect(res.statusCode).toBe(401);
  });

  const lower: Record<Role, Role[]> = { operator: [], supervisor: ['operator'], admin: ['operator', 'supervisor'] };
  const wrongRole = ROUTES.flatMap((r) => lower[r.min].map((role) => ({ ...r, role })));
  it.each(wrongRole)('$method $url rejects $role with 403', async ({ method, url, role }) => {
    const res = await send(method, url, role, {}, { squad: 'A1' });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ error: 'forbidden' });
  });

  it('/api/me answers with the user and no password hash', async () => {
    const res = await get('/api/me', 'supervisor');
    expect(res.statusCode).toBe(200);
    expect(res.json().user).toMatchObject({ username: 'zhang.wei', role: 'supervisor' });
    expect(res.body).not.toContain('scrypt');
  });
});

describe('login and sessions', () => {
  it('sets an HttpOnly, SameSite=Strict cookie; Secure only over https (secure: auto)', async () => {
    const res = await post('/api/login', undefined, { username: 'li.na', password: 'operator-password-1' });
    const c = res.cookies.find((k) => k.name === 'patrol_session')!;
    expect(c.httpOnly).toBe(true);
    expect(c.sameSite).toBe('Strict');
    expect(c.secure).toBeFalsy();
    expect(c.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(res.body).not.toContain(c.value);
  });

  it('marks the cookie Secure when a trusted proxy says the request was https', async () => {
    const f2 = await reviewFixture({ seed: false, trustProxy: true });
    try {
      const res = await f2.app.inject({ method: 'POST', url: '/api/login', payload: { username: 'li.na', password: 'operator-password-1' }, headers: { 'x-forwarded-proto': 'https' } });
      expect(res.cookies.find((k) => k.name === 'patrol_session')!.secure).toBe(true);
    } finally {
      await f2.close();
    }
  });

  it('refuses a wrong password and an unknown user the same way', async () => {
    const a = await post('/api/login', undefined, { username: 'li.na', password: 'wrong-password-123' });
    const b = await post('/api/login', undefined, { username: 'nobody', password: 'wrong-password-123' });
    expect(a.statusCode).toBe(401);
    expect(b.statusCode).toBe(401);
    expect(a.body).toBe(b.body);
    expect(a.cookies).toHaveLength(0);
  });

  it('logout ends the session on the server, not just in the browser', async () => {
    const cookie = await fx.login('operator');
    expect((await get('/api/me', undefined, { cookie })).statusCode).toBe(200);
    expect((await post('/api/logout', undefined, {}, { cookie })).statusCode).toBe(204);
    expect((await get('/api/me', undefined, { cookie })).statusCode).toBe(401);
  });

  it('changes your own password: needs the current one, ends old sessions, keeps you logged in', async () => {
    const f2 = await reviewFixture({ seed: false });
    try {
      const old = await f2.login('operator');
      const other = await f2.login('operator');
      const inj = (cookie: string, payload: object) => f2.app.inject({ method: 'POST', url: '/api/me/password', payload, headers: { cookie } });
      expect((await inj(old, { currentPassword: 'wrong-password!!', newPassword: 'a-new-long-passphrase' })).statusCode).toBe(403);
      expect((await inj(old, { currentPassword: 'operator-password-1', newPassword: 'short' })).statusCode).toBe(400);
      const ok = await inj(old, { currentPassword: 'operator-password-1', newPassword: 'a-new-long-passphrase' });
      expect(ok.statusCode).toBe(204);
      const fresh = `patrol_session=${ok.cookies.find((c) => c.name === 'patrol_session')!.value}`;
      expect((await f2.app.inject({ url: '/api/me', headers: { cookie: other } })).statusCode).toBe(401);
      expect((await f2.app.inject({ url: '/api/me', headers: { cookie: old } })).statusCode).toBe(401);
      expect((await f2.app.inject({ url: '/api/me', headers: { cookie: fresh } })).statusCode).toBe(200);
    } finally {
      await f2.close();
    }
  });

  it('rate-limits login: the 11th attempt in a minute from one IP gets 429', async () => {
    const f2 = await reviewFixture({ seed: false, loginPerMinute: 10 });
    try {
      const codes: number[] = [];
      // Different names, so the per-account lockout (5 failures) is not what answers.
      for (let i = 0; i < 11; i++) {
        const r = await f2.app.inject({ method: 'POST', url: '/api/login', payload: { username: `guess${i}`, password: 'not-the-password' } });
        codes.push(r.statusCode);
      }
      expect(codes.slice(0, 10).every((c) => c === 401)).toBe(true);
      expect(codes[10]).toBe(429);
      // Even the right password is refused while limited.
      const r = await f2.app.inject({ method: 'POST', url: '/api/login', payload: { username: 'admin', password: 'admin-password-for-tests' } });
      expect(r.statusCode).toBe(429);
      expect(r.json()).toMatchObject({ error: 'rate_limited' });
    } finally {
      await f2.close();
    }
  });

  it('admin creates users; duplicates get 409; weak passwords 400', async () => {
    const ok = await post('/api/users', 'admin', { username: 'wang.fang', password: 'a-long-enough-passphrase', role: 'operator' });
    expect(ok.statusCode).toBe(201);
    expect(ok.json().user).toMatchObject({ username: 'wang.fang', role: 'operator' });
    expect((await post('/api/users', 'admin', { username: 'WANG.FANG', password: 'a-long-enough-passphrase', role: 'operator' })).statusCode).toBe(409);
    expect((await post('/api/users', 'admin', { username: 'short.pw', password: 'short', role: 'operator' })).statusCode).toBe(400);
    expect((await post('/api/users', 'admin', { username: 'x.y', password: 'a-long-enough-passphrase', role: 'root' })).statusCode).toBe(400);
    const list = await get('/api/users', 'admin');
    expect(list.json().users.map((u: { username: string }) => u.username)).toContain('wang.fang');
    expect(list.body).not.toContain('scrypt');
  });

  it('refuses state-changing requests from another origin', async () => {
    const res = await post('/api/events/evt-stall-0001/confirm', 'operator', {}, { origin: 'https://evil.example' });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ error: 'cross_origin' });
  });
});

describe('events: list, filters, paging, sorting, detail, stats', () => {
  it('lists newest first by default', async () => {
    const res = await get('/api/events', 'operator');
    expect(res.statusCode).toBe(200);
    const page = res.json();
    expect(page.total).toBe(4);
    expect(page.items.map((e: { id: string }) => e.id)).toEqual(['evt-stall-0004', 'evt-burn-0003', 'evt-dump-0002', 'evt-stall-0001']);
    expect(page.items[0]).toMatchObject({ status: 'new', cameraId: 'cam-market-st', type: 'stall' });
  });

  it('filters by camera, type, zone, status and time range', async () => {
    const ids = async (qs: string) => (await get(`/api/events?${qs}`, 'operator')).json().items.map((e: { id: string }) => e.id).sort();
    expect(await ids('camera=cam-river-road')).toEqual(['evt-burn-0003', 'evt-dump-0002']);
    expect(await ids('type=stall')).toEqual(['evt-stall-0001', 'evt-stall-0004']);
    expect(await ids('type=stall&type=burning')).toEqual(['evt-burn-0003', 'evt-stall-0001', 'evt-stall-0004']);
    expect(await ids('zone=riverbank')).toEqual(['evt-dump-0002']);
    expect(await ids('status=confirmed')).toEqual([]);
    expect(await ids(`from=${NOW - 20 * 60_000}`)).toEqual(['evt-burn-0003', 'evt-stall-0004']);
    expect(await ids(`from=${NOW - 39 * 60_000}&to=${NOW - 20 * 60_000}`)).toEqual(['evt-dump-0002']);
    expect(await ids(`from=${NOW - 40 * 60_000}&to=${NOW - 20 * 60_000}`)).toEqual(['evt-dump-0002', 'evt-stall-0001']);
  });

  it('pages with limit/offset and sorts by any indexed field', async () => {
    const p1 = (await get('/api/events?limit=2&offset=0&sort=peakScore&order=desc', 'operator')).json();
    const p2 = (await get('/api/events?limit=2&offset=2&sort=peakScore&order=desc', 'operator')).json();
    expect(p1.total).toBe(4);
    expect([...p1.items, ...p2.items].map((e: { peakScore: number }) => e.peakScore)).toEqual([0.91, 0.84, 0.77, 0.66]);
    const asc = (await get('/api/events?sort=startedAt&order=asc&limit=1', 'operator')).json();
    expect(asc.items[0].id).toBe('evt-stall-0001');
  });

  it.each([
    'limit=0',
    'limit=201',
    'offset=-1',
    'sort=password',
    'order=sideways',
    'type=parking',
    'status=deleted',
    'from=yesterday',
    'unknown=1',
  ])('rejects a bad query (%s) with 400', async (qs) => {
    const res = await get(`/api/events?${qs}`, 'operator');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('shows an event with its history and the actions open to the user', async () => {
    const op = (await get('/api/events/evt-burn-0003', 'operator')).json();
    expect(op.event).toMatchObject({ id: 'evt-burn-0003', type: 'burning', status: 'new' });
    expect(op.event.endedAt).not.toBeNull();
    expect(op.history.map((h: { action: string }) => h.action)).toEqual(['opened', 'updated', 'ended']);
    expect(op.allowedActions).toEqual(['confirm', 'reject']);
    const sup = (await get('/api/events/evt-burn-0003', 'supervisor')).json();
    expect(sup.allowedActions).toEqual(['confirm', 'reject', 'dispatch']);
    expect((await get('/api/events/no-such-event', 'operator')).statusCode).toBe(404);
  });

  it('counts by type and status', async () => {
    const s = (await get('/api/stats', 'operator')).json();
    expect(s.total).toBe(4);
    expect(s.byType).toEqual({ stall: 2, dumping: 1, burning: 1 });
    expect(s.byStatus.new).toBeGreaterThanOrEqual(1);
    expect((await get('/api/stats?camera=cam-river-road', 'operator')).json().total).toBe(2);
  });
});

describe('reviewer actions', () => {
  it('confirm → dispatch → close, recorded with who, when, what', async () => {
    const c = await post('/api/events/evt-dump-0002/confirm', 'operator', { note: '现场确认' });
    expect(c.statusCode).toBe(200);
    expect(c.json().event.status).toBe('confirmed');
    // The operator cannot dispatch; the supervisor can.
    expect((await post('/api/events/evt-dump-0002/dispatch', 'operator', { squad: '二中队' })).statusCode).toBe(403);
    const d = await post('/api/events/evt-dump-0002/dispatch', 'supervisor', { squad: '二中队', gridCell: 'G-07', note: '15分钟内到场' });
    expect(d.statusCode).toBe(200);
    expect(d.json().event.status).toBe('dispatched');
    const x = await post('/api/events/evt-dump-0002/close', 'supervisor', {});
    expect(x.json().event.status).toBe('closed');
    const h = (await get('/api/events/evt-dump-0002', 'operator')).json().history.filter((e: { source: string }) => e.source === 'review');
    expect(h).toMatchObject([
      { action: 'confirm', actor: 'li.na', fromStatus: 'new', toStatus: 'confirmed', note: '现场确认' },
      { action: 'dispatch', actor: 'zhang.wei', fromStatus: 'confirmed', toStatus: 'dispatched', squad: '二中队', gridCell: 'G-07', note: '15分钟内到场' },
      { action: 'close', actor: 'zhang.wei', fromStatus: 'dispatched', toStatus: 'closed' },
    ]);
    expect(h.every((e: { at: number }) => typeof e.at === 'number')).toBe(true);
  });

  it('reject needs a known reason, and a note when the reason is "other"', async () => {
    expect((await post('/api/events/evt-stall-0004/reject', 'operator', {})).statusCode).toBe(400);
    expect((await post('/api/events/evt-stall-0004/reject', 'operator', { reason: 'bad_vibes' })).statusCode).toBe(400);
    const other = await post('/api/events/evt-stall-0004/reject', 'operator', { reason: 'other' });
    expect(other.statusCode).toBe(400);
    expect(other.json().message).toContain('note');
    expect((await post('/api/events/evt-stall-0004/reject', 'operator', { reason: 'shadow_lighting', extra: 1 })).statusCode).toBe(400);
    const ok = await post('/api/events/evt-stall-0004/reject', 'operator', { reason: 'other', note: '快递车临时停靠' });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().event.status).toBe('rejected');
  });

  it('answers 409 for an action that does not fit the current status', async () => {
    const res = await post('/api/events/evt-stall-0004/confirm', 'operator', {});
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ error: 'invalid_transition' });
    expect((await post('/api/events/no-such/confirm', 'operator', {})).statusCode).toBe(404);
  });

  it('accepts an action without a body (no note)', async () => {
    const f2 = await reviewFixture();
    try {
      const res = await f2.app.inject({ method: 'POST', url: '/api/events/evt-stall-0001/confirm', headers: { cookie: await f2.login('operator') } });
      expect(res.statusCode).toBe(200);
      expect(res.json().event.status).toBe('confirmed');
    } finally {
      await f2.close();
    }
  });

  it('dispatch needs a squad or a grid cell', async () => {
    const res = await post('/api/events/evt-stall-0001/dispatch', 'supervisor', { note: 'go' });
    expect(res.statusCode).toBe(400);
  });

  it('rejects oversized bodies with 413 before parsing them', async () => {
    const res = await post('/api/events/evt-stall-0001/reject', 'operator', { reason: 'other', note: 'x'.repeat(64 * 1024) });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ error: 'payload_too_large' });
  });

  it('rejects a non-JSON body', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/events/evt-stall-0001/confirm', payload: 'reason=duplicate', headers: { cookie: cookies.operator, 'content-type': 'application/x-www-form-urlencoded' } });
    expect(res.statusCode).toBe(415);
  });
});

describe('media', () => {
  const snapshotRel = () => fx.seeded[0]!.event.evidence.snapshot!;
  const clipRel = () => fx.seeded[0]!.event.evidence.clip!;

  it('serves a snapshot with its type, length and sha256 ETag', async () => {
    const res = await get('/api/events/evt-stall-0001/media/snapshot', 'operator');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/jpeg');
    const bytes = readFileSync(join(fx.dir, snapshotRel()));
    expect(res.rawPayload.equals(bytes)).toBe(true);
    expect(res.headers.etag).toBe(`"${sha256(bytes)}"`);
    expect(Number(res.headers['content-length'])).toBe(bytes.length);
  });

  it('answers range requests with 206 and exactly the bytes asked for', async () => {
    const bytes = readFileSync(join(fx.dir, clipRel()));
    const mid = await get('/api/events/evt-stall-0001/media/clip', 'operator', { range: 'bytes=100-1099' });
    expect(mid.statusCode).toBe(206);
    expect(mid.headers['content-range']).toBe(`bytes 100-1099/${bytes.length}`);
    expect(mid.headers['content-type']).toBe('video/mp4');
    expect(mid.rawPayload.equals(bytes.subarray(100, 1100))).toBe(true);
    const open = await get('/api/events/evt-stall-0001/media/clip', 'operator', { range: `bytes=${bytes.length - 10}-` });
    expect(open.rawPayload.equals(bytes.subarray(bytes.length - 10))).toBe(true);
    const suffix = await get('/api/events/evt-stall-0001/media/clip', 'operator', { range: 'bytes=-500' });
    expect(suffix.statusCode).toBe(206);
    expect(suffix.rawPayload.equals(bytes.subarray(bytes.length - 500))).toBe(true);
    const beyond = await get('/api/events/evt-stall-0001/media/clip', 'operator', { range: `bytes=${bytes.length}-` });
    expect(beyond.statusCode).toBe(416);
    expect(beyond.headers['content-range']).toBe(`bytes */${bytes.length}`);
    const multi = await get('/api/events/evt-stall-0001/media/clip', 'operator', { range: 'bytes=0-1,5-6' });
    expect(multi.statusCode).toBe(200);
    expect(multi.rawPayload.length).toBe(bytes.length);
  });

  it('answers HEAD with the length and no body, and If-None-Match with 304', async () => {
    const bytes = readFileSync(join(fx.dir, clipRel()));
    const head = await app.inject({ method: 'HEAD', url: '/api/events/evt-stall-0001/media/clip', headers: { cookie: cookies.operator } });
    expect(head.statusCode).toBe(200);
    expect(Number(head.headers['content-length'])).toBe(bytes.length);
    expect(head.rawPayload.length).toBe(0);
    const etag = head.headers.etag as string;
    const again = await get('/api/events/evt-stall-0001/media/clip', 'operator', { 'if-none-match': etag });
    expect(again.statusCode).toBe(304);
    expect(again.rawPayload.length).toBe(0);
  });

  it('refuses a file changed after its hash was recorded (409), also after it was served once', async () => {
    const seeded = await makeSeededEvent(fx.dir, { id: 'evt-tamper', cameraId: 'cam-east-gate', zoneId: 'z', type: 'stall', agoMin: 300, peakScore: 0.5 }, NOW);
    for (const m of seeded.messages) fx.store.apply(m);
    expect((await get('/api/events/evt-tamper/media/snapshot', 'operator')).statusCode).toBe(200);
    appendFileSync(join(fx.dir, seeded.event.evidence.snapshot!), Buffer.from([0]));
    const res = await get('/api/events/evt-tamper/media/snapshot', 'operator');
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ error: 'evidence_tampered' });
    expect(res.json().message).toMatch(/SHA-256/);
    // Same size, different bytes: caught too.
    const latest = join(fx.dir, seeded.event.evidence.latest!);
    const b = readFileSync(latest);
    b[b.length - 3] = b[b.length - 3]! ^ 0xff;
    writeFileSync(latest, b);
    expect((await get('/api/events/evt-tamper/media/latest', 'operator')).statusCode).toBe(409);
  });

  it('refuses evidence with no recorded hash (409) and missing files (404)', async () => {
    const rel = 'events/nohash/snapshot.jpg';
    mkdirSync(join(fx.dir, 'events/nohash'), { recursive: true });
    writeFileSync(join(fx.dir, rel), 'jpeg');
    applyEvent('evt-nohash', { snapshot: rel, clip: 'events/nohash/missing.mp4', sha256: { 'events/nohash/missing.mp4': 'ab'.repeat(32) } });
    expect((await get('/api/events/evt-nohash/media/snapshot', 'operator')).json()).toMatchObject({ error: 'evidence_unverifiable' });
    expect((await get('/api/events/evt-nohash/media/clip', 'operator')).statusCode).toBe(404);
    expect((await get('/api/events/evt-nohash/media/latest', 'operator')).statusCode).toBe(404);
  });

  it.each([
    '/api/events/evt-stall-0001/media/..%2F..%2Fetc%2Fpasswd',
    '/api/events/evt-stall-0001/media/%2e%2e',
    '/api/events/evt-stall-0001/media/..',
    '/api/events/evt-stall-0001/media/snapshot.jpg',
    '/api/events/evt-stall-0001/media/%2Fetc%2Fpasswd',
    '/api/events/evt-stall-0001/media/events%2F2026-06-01%2Fevt-stall-0001%2Fsnapshot.jpg',
  ])('refuses a media name that is not an evidence field: %s', async (url) => {
    const res = await get(url, 'operator');
    expect([400, 404]).toContain(res.statusCode);
    expect(res.headers['content-type']).toContain('application/json');
  });

  it('does not resolve dot segments in the URL into another route', async () => {
    const res = await get('/api/events/evt-stall-0001/media/../../../../etc/passwd', 'operator');
    expect(res.statusCode).toBe(404);
    expect(res.body).not.toContain('root:');
  });

  function applyEvent(id: string, evidence: Record<string, unknown>) {
    const e = { ...fx.seeded[0]!.event, id, evidence };
    fx.store.apply({ jobId: id, kind: 'opened', event: e as never, publishedAt: NOW });
  }

  it('refuses recorded paths that leave the storage dir: ../, absolute, encoded, backslash, symlink', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'patrol-outside-'));
    const secret = Buffer.from('root:x:0:0:secret\n');
    writeFileSync(join(outside, 'secret.jpg'), secret);
    symlinkSync(join(outside, 'secret.jpg'), join(fx.dir, 'link.jpg'));
    symlinkSync(outside, join(fx.dir, 'linkdir'));
    const h = sha256(secret);
    const rel = (p: string) => `../${outside.split('/').pop()}/${p}`;
    const cases: Record<string, string> = {
      dotdot: rel('secret.jpg'),
      deep: `events/../../${outside.split('/').pop()}/secret.jpg`,
      absolute: join(outside, 'secret.jpg'),
      backslash: '..\\..\\secret.jpg',
      symlink: 'link.jpg',
      symlinkdir: 'linkdir/secret.jpg',
    };
    try {
      for (const [name, p] of Object.entries(cases)) {
        applyEvent(`evt-trav-${name}`, { snapshot: p, sha256: { [p]: h } });
        const res = await get(`/api/events/evt-trav-${name}/media/snapshot`, 'operator');
        expect.soft(res.statusCode, name).toBe(400);
        expect.soft(res.body, name).not.toContain('secret');
        expect.soft(res.json().error, name).toBe('unsafe_path');
      }
      // Encoded dot segments are just odd file names on disk, never decoded into "..".
      const enc = '%2e%2e/secret.jpg';
      applyEvent('evt-trav-encoded', { snapshot: enc, sha256: { [enc]: h } });
      expect((await get('/api/events/evt-trav-encoded/media/snapshot', 'operator')).statusCode).toBe(404);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});

describe('cameras', () => {
  it('lists cameras with state but never their credentials', async () => {
    const res = await get('/api/cameras', 'operator');
    expect(res.statusCode).toBe(200);
    const body = res.body;
    for (const secret of ['s3cret-pass', 'hunter2', 'operator:', 'admin:', 'password=', 'user=']) expect(body).not.toContain(secret);
    const cams = res.json().cameras;
    expect(cams.map((c: { id: string }) => c.id)).toEqual(['cam-east-gate', 'cam-river-road', 'cam-market-st']);
    expect(cams[0]).toMatchObject({ name: '东门广场', source: 'rtsp://10.20.30.40:554/Streaming/Channels/101', state: 'unknown', liveView: false });
    expect(cams[2].source).toBe('file://…/market.mp4');
  });

  it('reports state from getCameraStatus, with credentials scrubbed from the reason', async () => {
    const f2 = await reviewFixture({
      seed: false,
      getCameraStatus: (id) =>
        id === 'cam-river-road'
          ? { cameraId: id, state: 'backoff', attempt: 3, retryAt: NOW + 4000, reason: 'rtsp://operator:hunter2@cam2.example.net/live: Connection refused' }
          : { cameraId: id, state: 'live', attempt: 0, lastFrameAt: NOW },
    });
    try {
      const cookie = await f2.login('operator');
      const res = await f2.app.inject({ url: '/api/cameras', headers: { cookie } });
      expect(res.body).not.toContain('hunter2');
      const cams = res.json().cameras;
      expect(cams[0]).toMatchObject({ state: 'live', lastFrameAt: NOW });
      expect(cams[1]).toMatchObject({ state: 'backoff', retryAt: NOW + 4000 });
      expect(cams[1].reason).toContain('Connection refused');
    } finally {
      await f2.close();
    }
  });
});

describe('docs and UI', () => {
  it('publishes OpenAPI at /docs with a schema on every API route', async () => {
    const res = await get('/docs/json');
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/events', '/api/events/{id}', '/api/events/{id}/media/{name}', '/api/events/{id}/reject', '/api/cameras', '/api/login']));
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, { responses?: object }>>)) {
      for (const [m, op] of Object.entries(ops)) expect.soft(op.responses, `${m} ${path}`).toBeDefined();
    }
    expect((await get('/docs')).statusCode).toBeLessThan(400);
  });

  it('serves the UI with a strict content security policy', async () => {
    const res = await get('/');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.body).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
  });

  it('answers unknown API routes with a JSON 404', async () => {
    const res = await get('/api/nope', 'operator');
    expect(res.statusCode).toBe(404);
  });
});
