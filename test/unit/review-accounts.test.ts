import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { confusableWith, normalizeUsername, usernameSkeleton } from '../../src/review/auth/username.js';
import { commonPasswordCount, passwordProblem } from '../../src/review/auth/password-policy.js';
import { AccountThrottle } from '../../src/review/auth/account-throttle.js';
import { ReviewStore } from '../../src/review/store/review-store.js';
import { PasswordPolicyError, UserExistsError } from '../../src/review/store/user-store.js';
import { parseConfig } from '../../src/config/load-config.js';
import { reviewSecurityOptions } from '../../src/review/security-options.js';

describe('usernames', () => {
  it('normalizes with NFKC and case folding', () => {
    expect(normalizeUsername('ＡＤＭＩＮ')).toBe('admin');
    expect(normalizeUsername('  Li.Na ')).toBe('li.na');
    expect(normalizeUsername('张伟')).toBe('张伟');
  });

  it('maps lookalikes to one skeleton and finds the existing name a new one imitates', () => {
    expect(usernameSkeleton('аdmin')).toBe(usernameSkeleton('admin')); // Cyrillic а
    expect(usernameSkeleton('αdmιn')).toBe(usernameSkeleton('admin')); // Greek
    expect(usernameSkeleton('rnary')).toBe(usernameSkeleton('mary'));
    expect(confusableWith('аdmin', ['li.na', 'admin'])).toBe('admin');
    expect(confusableWith('adm1n', ['admin'])).toBe('admin');
    expect(confusableWith('wang.fang', ['admin', 'wang.wei'])).toBeUndefined();
    // The same account is not its own lookalike (that is a duplicate, reported as such).
    expect(confusableWith('ADMIN', ['admin'])).toBeUndefined();
  });
});

describe('password policy', () => {
  it('ships a common-password list', () => {
    expect(commonPasswordCount()).toBeGreaterThan(200);
  });

  it.each([
    ['aaaaaaaaaaaa', 'different characters'],
    ['121212121212', 'different characters'],
    ['abcdeabcdeab', undefined],
    ['qwertyqwerty', 'repeated'],
    ['password123!', 'common'],
    ['P@ssw0rd2024', 'common'],
    ['1qaz2wsx3edc', 'common'],
    ['short-one', '12 characters'],
  ])('%s → %s', (pw, problem) => {
    const p = passwordProblem(pw);
    if (problem === undefined) expect(p).toBeUndefined();
    else expect(p).toContain(problem);
  });

  it('refuses a password built from the username, accepts one that merely contains it', () => {
    expect(passwordProblem('zhang.wei2024!', 'zhang.wei')).toContain('username');
    expect(passwordProblem('ZHANG.WEIZHANG.WEI', 'Zhang.Wei')).toContain('username');
    expect(passwordProblem('iew.gnahz-2024', 'zhang.wei')).toContain('username');
    expect(passwordProblem('admin-password-for-tests', 'admin')).toBeUndefined();
    expect(passwordProblem('correct horse battery staple', 'li.na')).toBeUndefined();
  });
});

describe('account throttle', () => {
  it('locks after N failures in the window, the lock expires, success resets', () => {
    let t = 0;
    const th = new AccountThrottle({ failures: 3, windowMs: 1_000, lockMs: 5_000 }, () => t);
    expect(th.fail('a')).toBeUndefined();
    t = 2_000; // the first failure left the window
    expect(th.fail('a')).toBeUndefined();
    expect(th.fail('a')).toBeUndefined();
    expect(th.fail('a')).toBe(7_000);
    expect(th.lockedUntil('a')).toBe(7_000);
    expect(th.lockedUntil('b')).toBeUndefined();
    t = 7_000;
    expect(th.lockedUntil('a')).toBeUndefined();
    th.fail('a');
    th.succeed('a');
    th.fail('a');
    expect(th.fail('a')).toBeUndefined();
  });
});

describe('user store and audit table', () => {
  let dir: string;
  let store: ReviewStore;
  let clock = 1_000_000;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'patrol-accounts-'));
    clock = 1_000_000;
    store = ReviewStore.open(dir, { now: () => clock });
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores names normalized and refuses duplicates, lookalikes and weak passwords', async () => {
    const u = await store.users.create({ username: 'Ｗang.Fang', password: 'a-long-enough-passphrase', role: 'operator' });
    expect(u.username).toBe('wang.fang');
    await expect(store.users.create({ username: 'WANG.FANG', password: 'a-long-enough-passphrase', role: 'operator' })).rejects.toBeInstanceOf(UserExistsError);
    await expect(store.users.create({ username: 'wаng.fang', password: 'a-long-enough-passphrase', role: 'operator' })).rejects.toThrow(/looks like the existing user wang.fang/);
    await expect(store.users.create({ username: 'x.y', password: 'aaaaaaaaaaaa', role: 'operator' })).rejects.toBeInstanceOf(PasswordPolicyError);
    await expect(store.users.setPassword(u.id, 'wang.fang.wang')).rejects.toBeInstanceOf(PasswordPolicyError);
  });

  it('ends idle sessions; a background check does not keep one alive; the lifetime still caps it', async () => {
    const u = await store.users.create({ username: 'li.na', password: 'a-long-enough-passphrase', role: 'operator' });
    const { token } = store.users.createSession(u.id, 60 * 60_000);
    const idle = { idleMs: 10 * 60_000 };
    clock += 9 * 60_000;
    expect(store.users.sessionUser(token, { ...idle, touch: false })).not.toBeNull();
    clock += 2 * 60_000; // 11 min since the last real use
    expect(store.users.sessionUser(token, idle)).toBeNull();

    const second = store.users.createSession(u.id, 30 * 60_000).token;
    for (let i = 0; i < 5; i++) {
      clock += 5 * 60_000;
      expect(store.users.sessionUser(second, idle)).not.toBeNull();
    }
    clock += 6 * 60_000; // active, but 31 min after login
    expect(store.users.sessionUser(second, idle)).toBeNull();
  });

  it('disable ends sessions; delete keeps the past actions\' names', async () => {
    const u = await store.users.create({ username: 'li.na', password: 'a-long-enough-passphrase', role: 'operator' });
    const { token } = store.users.createSession(u.id);
    store.users.setDisabled(u.id, true);
    expect(store.users.sessionUser(token)).toBeNull();
    store.users.setDisabled(u.id, false);
    expect(store.users.sessionUser(token)).toBeNull(); // re-enabling does not revive the session
    expect(store.users.delete(u.id)).toBe(true);
    expect(store.users.get(u.id)).toBeNull();
  });

  it('audit rows cannot be changed, and only old ones can be deleted (retention)', () => {
    clock = Date.now();
    store.audit.record({ actor: 'admin', action: 'login.success', ip: '10.0.0.1' });
    const db = (store as unknown as { db: import('better-sqlite3').Database }).db;
    expect(() => db.prepare("UPDATE audit_log SET actor = 'someone'").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM audit_log').run()).toThrow(/cannot be deleted/);
    expect(store.audit.prune(365)).toBe(0);
    // An entry from two years ago (real clock: the trigger compares with SQLite's own).
    clock = Date.now() - 2 * 365 * 86_400_000;
    store.audit.record({ actor: 'old', action: 'logout' });
    clock = Date.now();
    expect(store.audit.list({ limit: 10, offset: 0 }).total).toBe(2);
    expect(store.audit.prune(365)).toBe(1);
    expect(store.audit.list({ limit: 10, offset: 0 }).items.map((i) => i.actor)).toEqual(['admin']);
  });
});

describe('review config', () => {
  const base = `
cameras:
  - id: cam-01
    url: file://clip.mp4
detector:
  manifest: ../models/patrol-det.json
`;
  it('defaults: 8 h sessions, 30 min idle, lockout 5 in 15 min, audit kept a year, no proxy trusted', () => {
    const c = parseConfig(base, 'p.yaml', {});
    expect(c.review).toMatchObject({ sessionHours: 8, idleMinutes: 30, loginPerMinute: 10, trustProxy: false, secureCookies: 'auto', auditRetentionDays: 365 });
    expect(c.review.lockout).toEqual({ failures: 5, windowMinutes: 15, lockMinutes: 15 });
    expect(reviewSecurityOptions(c.review)).toMatchObject({ sessionTtlMs: 8 * 3_600_000, idleMs: 30 * 60_000, lockout: { failures: 5, windowMs: 900_000, lockMs: 900_000 } });
  });

  it('a bad value names the field', () => {
    for (const [yaml, field] of [
      ['review:\n  idleMinutes: 0\n', 'review.idleMinutes'],
      ['review:\n  auditRetentionDays: 7\n', 'review.auditRetentionDays'],
      ['review:\n  secureCookies: sometimes\n', 'review.secureCookies'],
      ['review:\n  lockout: { failures: 0 }\n', 'review.lockout.failures'],
      ['review:\n  sesionHours: 4\n', 'sesionHours'],
    ] as const) {
      let message = '';
      try {
        parseConfig(base + yaml, 'p.yaml', {});
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message, yaml).toContain(field);
    }
    expect(parseConfig(`${base}review:\n  trustProxy: 10.0.0.0/8\n  sessionHours: 12\n`, 'p.yaml', {}).review).toMatchObject({ trustProxy: '10.0.0.0/8', sessionHours: 12 });
  });
});
