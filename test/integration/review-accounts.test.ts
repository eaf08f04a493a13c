/**
 * Accounts, audit and headers through the review API (fastify inject over a real SQLite store): admin
 * disables a user whose session then ends, role changes, resets, deletes with their guards; lookalike
 * names and weak passwords refused; per-account lockout that expires; the audit log lists logins, a
 * confirm and the user changes; security headers on /docs and the API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORDS, reviewFixture, USERNAMES, type ReviewFixture } from '../e2e/harness.js';
import type { Role } from '../../src/review/store/status.js';

let fx: ReviewFixture;
const cookies = {} as Record<Role, string>;

beforeAll(async () => {
  fx = await reviewFixture({ lockout: { failures: 3, windowMs: 60_000, lockMs: 1_500 } });
  for (const role of ['operator', 'supervisor', 'admin'] as const) cookies[role] = await fx.login(role);
}, 60_000);
afterAll(async () => fx?.close());

type Method = 'GET' | 'POST' | 'DELETE';
const call = (method: Method, url: string, cookie?: string, payload?: object, headers: Record<string, string> = {}) =>
  fx.app.inject({ method, url, ...(payload ? { payload } : {}), headers: { ...(cookie ? { cookie } : {}), ...headers } });
const login = (username: string, password: string, ip = '127.0.0.1') => fx.app.inject({ method: 'POST', url: '/api/login', payload: { username, password }, remoteAddress: ip });
const cookieOf = (res: Awaited<ReturnType<typeof login>>) => `patrol_session=${res.cookies.find((c) => c.name === 'patrol_session')!.value}`;

async function newEvent(): Promise<{ id: string }> {
  const page = (await call('GET', '/api/events?status=new&limit=1', cookies.admin)).json();
  expect(page.items.length).toBeGreaterThan(0);
  return page.items[0];
}

async function newUser(username: string, role: Role = 'operator', password = 'a-long-enough-passphrase'): Promise<{ id: number; cookie: string }> {
  const res = await call('POST', '/api/users', cookies.admin, { username, password, role });
  expect(res.statusCode, res.body).toBe(201);
  const l = await login(username, password);
  expect(l.statusCode).toBe(200);
  return { id: res.json().user.id, cookie: cookieOf(l) };
}

describe('user administration', () => {
  it('disabling a user ends their session at once and refuses their login; enabling lets them back', async () => {
    const u = await newUser('zhao.lei');
    expect((await call('GET', '/api/events', u.cookie)).statusCode).toBe(200);
    const off = await call('POST', `/api/users/${u.id}/disable`, cookies.admin);
    expect(off.statusCode).toBe(200);
    expect(off.json().user).toMatchObject({ username: 'zhao.lei', disabled: true });
    expect((await call('GET', '/api/events', u.cookie)).statusCode).toBe(401);
    expect((await login('zhao.lei', 'a-long-enough-passphrase')).statusCode).toBe(401);
    expect((await call('POST', `/api/users/${u.id}/enable`, cookies.admin)).json().user.disabled).toBe(false);
    expect((await login('zhao.lei', 'a-long-enough-passphrase')).statusCode).toBe(200);
  });

  it('a role change applies to the next request', async () => {
    const u = await newUser('sun.li');
    const ev = await newEvent();
    expect((await call('POST', `/api/events/${ev.id}/dispatch`, u.cookie, { squad: 'A1' })).statusCode).toBe(403);
    const r = await call('POST', `/api/users/${u.id}/role`, cookies.admin, { role: 'supervisor' });
    expect(r.json().user.role).toBe('supervisor');
    expect((await call('GET', '/api/me', u.cookie)).json().user.role).toBe('supervisor');
    expect((await call('POST', `/api/users/${u.id}/role`, cookies.admin, { role: 'root' })).statusCode).toBe(400);
  });

  it('an admin reset ends the user\'s sessions; the new password works', async () => {
    const u = await newUser('qian.yu');
    expect((await call('POST', `/api/users/${u.id}/password`, cookies.admin, { password: 'reset-by-the-admin-42' })).statusCode).toBe(204);
    expect((await call('GET', '/api/me', u.cookie)).statusCode).toBe(401);
    expect((await login('qian.yu', 'a-long-enough-passphrase')).statusCode).toBe(401);
    expect((await login('qian.yu', 'reset-by-the-admin-42')).statusCode).toBe(200);
  });

  it('delete removes the account; nobody can disable, demote or delete themself or the last admin', async () => {
    const u = await newUser('gone.soon');
    expect((await call('DELETE', `/api/users/${u.id}`, cookies.admin)).statusCode).toBe(204);
    expect((await call('GET', '/api/me', u.cookie)).statusCode).toBe(401);
    expect((await call('DELETE', `/api/users/${u.id}`, cookies.admin)).statusCode).toBe(404);
    const me = (await call('GET', '/api/me', cookies.admin)).json().user;
    for (const [m, url, body] of [
      ['POST', `/api/users/${me.id}/password`, { password: 'a-brand-new-passphrase' }],
      ['POST', `/api/users/${me.id}/disable`, undefined],
      ['POST', `/api/users/${me.id}/role`, { role: 'operator' }],
      ['DELETE', `/api/users/${me.id}`, undefined],
    ] as const) {
      const r = await call(m, url, cookies.admin, body);
      expect(r.statusCode).toBe(409);
      expect(r.json().error).toBe('self');
    }
    // A second admin may not remove the first while it is the only other enabled one... it is not: both exist.
    const second = await newUser('ops.admin', 'admin', 'second-admin-passphrase');
    expect((await call('POST', `/api/users/${me.id}/disable`, second.cookie)).statusCode).toBe(200);
    // Now the second is the last enabled admin: the first (re-enabled by nobody) cannot take it away.
    const last = await call('POST', `/api/users/${second.id}/role`, second.cookie, { role: 'operator' });
    expect(last.statusCode).toBe(409);
    expect((await call('POST', `/api/users/${me.id}/enable`, second.cookie)).statusCode).toBe(200);
    cookies.admin = await fx.login('admin');
  });

  it('refuses lookalike and differently-written names of existing users', async () => {
    for (const [name, error] of [
      ['\u0430dmin', 'user_lookalike'], // Cyrillic а
      ['\uff41\uff44\uff4d\uff49\uff4e', 'user_exists'], // full-width ａｄｍｉｎ is admin after NFKC
      ['ADMIN', 'user_exists'],
      ['adm1n', 'user_lookalike'],
      ['li_na', 'user_lookalike'],
      ['zhang.we\u00ed', 'user_lookalike'], // accented í
    ] as const) {
      const r = await call('POST', '/api/users', cookies.admin, { username: name, password: 'a-long-enough-passphrase', role: 'operator' });
      expect(r.statusCode, name).toBe(409);
      expect(r.json().error, name).toBe(error);
    }
    // Full-width and upper case log in as the same account.
    expect((await login('\uff41\uff44\uff4d\uff49\uff4e', PASSWORDS.admin)).json().user.username).toBe('admin');
    expect((await login('LI.NA', PASSWORDS.operator)).json().user.username).toBe(USERNAMES.operator);
  });

  it('refuses weak passwords with the reason', async () => {
    for (const [password, why] of [
      ['aaaaaaaaaaaa', /different characters/],
      ['abcabcabcabc', /repeated|different/],
      ['password1234', /common/],
      ['Qwertyuiop123!', /common/],
      ['woaini1314woaini1314', /common|repeated/],
      ['new.person.new.person', /username/],
      ['short', /12 characters/],
    ] as const) {
      const r = await call('POST', '/api/users', cookies.admin, { username: 'new.person', password, role: 'operator' });
      expect(r.statusCode, password).toBe(400);
      expect(r.json().message, password).toMatch(why);
    }
    const own = await call('POST', '/api/me/password', cookies.operator, { currentPassword: PASSWORDS.operator, newPassword: 'li.na.li.na.li.na' });
    expect(own.statusCode).toBe(400);
    expect(own.json().error).toBe('weak_password');
  });
});

describe('per-account lockout', () => {
  it('locks one account after repeated wrong passwords, not the IP, and the lock expires', async () => {
    await newUser('lock.me');
    const codes: number[] = [];
    for (let i = 0; i < 3; i++) codes.push((await login('lock.me', `wrong-password-${i}`, '10.1.1.1')).statusCode);
    expect(codes).toEqual([401, 401, 401]);
    // Locked: even the right password, from any address.
    const locked = await login('LOCK.ME', 'a-long-enough-passphrase', '10.9.9.9');
    expect(locked.statusCode).toBe(429);
    expect(locked.json().error).toBe('account_locked');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    // Another account from the same address is not affected.
    expect((await login(USERNAMES.supervisor, PASSWORDS.supervisor, '10.1.1.1')).statusCode).toBe(200);
    await new Promise((r) => setTimeout(r, 1_700));
    expect((await login('lock.me', 'a-long-enough-passphrase', '10.1.1.1')).statusCode).toBe(200);
  });
});

describe('behind a TLS proxy', () => {
  it('with trustProxy the cookie is Secure and the audit log has the client address; without, the headers are ignored', async () => {
    const headers = { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.9' };
    for (const trustProxy of [true, false]) {
      const f2 = await reviewFixture({ seed: false, trustProxy });
      try {
        const res = await f2.app.inject({ method: 'POST', url: '/api/login', payload: { username: 'admin', password: PASSWORDS.admin }, headers, remoteAddress: '10.0.0.2' });
        expect(res.statusCode).toBe(200);
        expect(res.cookies.find((c) => c.name === 'patrol_session')!.secure ?? false).toBe(trustProxy);
        expect(f2.store.audit.list({ action: ['login.success'], limit: 1, offset: 0 }).items[0]!.ip).toBe(trustProxy ? '203.0.113.9' : '10.0.0.2');
      } finally {
        await f2.close();
      }
    }
  });
});

describe('audit log', () => {
  it('lists logins (ok and failed), a confirm and user changes, with who, when and from where; admin only', async () => {
    const ev = await newEvent();
    expect((await call('POST', `/api/events/${ev.id}/confirm`, cookies.operator, { note: 'seen it' })).statusCode).toBe(200);
    const all = await call('GET', '/api/audit?limit=500', cookies.admin);
    expect(all.statusCode).toBe(200);
    const items = all.json().items as Array<{ action: string; actor: string; ip: string | null; at: number; target: string; outcome: string; detail: Record<string, unknown> | null }>;
    const has = (action: string, f: (i: (typeof items)[number]) => boolean = () => true) => items.some((i) => i.action === action && f(i));
    expect(has('login.success', (i) => i.actor === 'admin' && i.ip === '127.0.0.1')).toBe(true);
    expect(has('login.failure', (i) => i.actor === 'lock.me' && i.ip === '10.1.1.1' && i.outcome === 'failed')).toBe(true);
    expect(has('login.locked', (i) => i.actor === 'lock.me' && i.ip === '10.9.9.9')).toBe(true);
    expect(has('event.confirm', (i) => i.actor === USERNAMES.operator && i.target === ev.id && i.detail?.note === 'seen it')).toBe(true);
    expect(has('user.disable', (i) => i.actor === 'admin' && i.target === 'zhao.lei')).toBe(true);
    expect(has('user.role', (i) => i.target === 'sun.li' && i.detail?.to === 'supervisor')).toBe(true);
    expect(has('user.password_reset', (i) => i.target === 'qian.yu')).toBe(true);
    expect(has('user.delete', (i) => i.target === 'gone.soon')).toBe(true);
    expect(has('user.create', (i) => i.target === 'zhao.lei')).toBe(true);
    // Newest first.
    expect(items.map((i) => i.at)).toEqual([...items.map((i) => i.at)].sort((a, b) => b - a));
    expect(all.body).not.toContain('a-long-enough-passphrase');

    const filtered = (await call('GET', '/api/audit?action=user.disable&action=user.enable&actor=admin', cookies.admin)).json();
    expect(filtered.items.length).toBeGreaterThan(0);
    expect(filtered.items.every((i: { action: string; actor: string }) => ['user.disable', 'user.enable'].includes(i.action) && i.actor === 'admin')).toBe(true);
    const since = (await call('GET', `/api/audit?from=${Date.now() + 60_000}`, cookies.admin)).json();
    expect(since.total).toBe(0);
    expect((await call('GET', '/api/audit?action=rm-rf', cookies.admin)).statusCode).toBe(400);
    expect((await call('GET', '/api/audit', cookies.supervisor)).statusCode).toBe(403);
  });
});

describe('security headers', () => {
  it('/docs carries the UI\'s frame and sniffing rules and a CSP without outside hosts', async () => {
    let pages = 0;
    for (const url of ['/docs', '/docs/', '/docs/static/index.html', '/docs/json']) {
      const res = await call('GET', url);
      if (res.statusCode === 302) continue;
      expect(res.statusCode, url).toBe(200);
      pages++;
      const csp = String(res.headers['content-security-policy']);
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("default-src 'self'");
      expect(csp).not.toMatch(/https:|swagger\.io|upgrade-insecure/);
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    }
    expect(pages).toBeGreaterThanOrEqual(2);
  });

  it('API JSON is nosniff, no-store and unframeable; the UI page keeps its own policy', async () => {
    for (const [url, cookie] of [['/api/events', cookies.operator], ['/api/me', undefined], ['/api/nope', undefined]] as const) {
      const res = await call('GET', url, cookie);
      expect(res.headers['x-content-type-options'], url).toBe('nosniff');
      expect(res.headers['cache-control'], url).toBe('no-store');
      expect(String(res.headers['content-security-policy']), url).toContain("frame-ancestors 'none'");
    }
    const page = await call('GET', '/');
    expect(String(page.headers['content-security-policy'])).toContain("script-src 'self'");
    expect(page.headers['cache-control']).not.toBe('no-store');
  });
});
