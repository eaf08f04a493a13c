import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { z } from 'zod';
import { jsonSchema, responses } from '../api/json-schema.js';
import { LoginBody, UserView } from '../api/schemas.js';
import { ChangeOwnPasswordBody } from '../api/account-schemas.js';
import { PasswordPolicyError } from '../store/user-store.js';
import type { AuditStore } from '../store/audit-store.js';
import { normalizeUsername } from './username.js';
import type { AccountThrottle } from './account-throttle.js';
import { SESSION_COOKIE, type SessionAuth } from './session-auth.js';

export interface AuthRoutesOptions {
  auth: SessionAuth;
  audit: AuditStore;
  /** Failed logins per account (beside the per-IP limit). */
  throttle: AccountThrottle;
  /** Login attempts per IP per minute. */
  loginPerMinute: number;
}

const UserBody = z.object({ user: UserView });

function badRequest(reply: FastifyReply, issues: z.core.$ZodIssue[]) {
  return reply.code(400).send({ error: 'invalid_request', message: issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
}

/** Login, logout, who am I, change your own password. Every login and password change is audited. */
export const authRoutes: FastifyPluginAsync<AuthRoutesOptions> = async (app, { auth, audit, throttle, loginPerMinute }) => {
  // Only the routes that opt in (login) are limited; registered inside this plugin, so it stays here.
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_req, ctx) => ({
      statusCode: 429,
      error: 'rate_limited',
      message: `too many login attempts; try again in ${ctx.after}`,
    }),
  });

  app.post(
    '/api/login',
    {
      config: { rateLimit: { max: loginPerMinute, timeWindow: '1 minute' } },
      schema: {
        tags: ['auth'],
        summary: 'Log in; sets the HttpOnly session cookie. 429 while the client IP or the account is throttled',
        body: jsonSchema(LoginBody),
        response: responses({ 200: jsonSchema(UserBody, 'output') }, 400, 401, 429),
      },
    },
    async (request, reply) => {
      const { username, password } = request.body as z.infer<typeof LoginBody>;
      const account = normalizeUsername(username);
      const lockedUntil = throttle.lockedUntil(account);
      if (lockedUntil !== undefined) {
        audit.record({ actor: account, ip: request.ip, action: 'login.locked', target: account, outcome: 'denied' });
        const sec = Math.ceil((lockedUntil - Date.now()) / 1000);
        void reply.header('retry-after', String(Math.max(1, sec)));
        return reply.code(429).send({ error: 'account_locked', message: `too many wrong passwords for this account; try again in ${Math.max(1, Math.ceil(sec / 60))} min` });
      }
      const user = await auth.store.verifyLogin(username, password);
      if (!user) {
        const locked = throttle.fail(account);
        audit.record({ actor: account, ip: request.ip, action: 'login.failure', target: account, outcome: 'failed', detail: locked ? { lockedUntil: locked } : undefined });
        request.log.warn({ username: account, ip: request.ip }, 'review: failed login');
        return reply.code(401).send({ error: 'bad_credentials', message: 'wrong username or password' });
      }
      throttle.succeed(account);
      const { token, expiresAt } = auth.store.createSession(user.id, auth.cookie.ttlMs);
      auth.setSessionCookie(reply, token, expiresAt);
      audit.record({ actorId: user.id, actor: user.username, ip: request.ip, action: 'login.success', target: user.username });
      request.log.info({ username: user.username, role: user.role, ip: request.ip }, 'review: login');
      return { user };
    },
  );

  app.post(
    '/api/logout',
    {
      onRequest: auth.require('operator'),
      schema: { tags: ['auth'], summary: 'End this session', response: responses({ 204: { type: 'null' } }, 401) },
    },
    async (request, reply) => {
      const token = request.cookies[SESSION_COOKIE];
      if (token) auth.store.deleteSession(token);
      auth.clearSessionCookie(reply);
      const me = auth.user(request);
      audit.record({ actorId: me.id, actor: me.username, ip: request.ip, action: 'logout', target: me.username });
      return reply.code(204).send();
    },
  );

  app.get(
    '/api/me',
    {
      onRequest: auth.require('operator'),
      schema: { tags: ['auth'], summary: 'The logged-in user', response: responses({ 200: jsonSchema(UserBody, 'output') }, 401) },
    },
    async (request) => ({ user: auth.user(request) }),
  );

  app.post(
    '/api/me/password',
    {
      onRequest: auth.require('operator'),
      // Same limit as login: this route also tells whether a password is right.
      config: { rateLimit: { max: loginPerMinute, timeWindow: '1 minute' } },
      schema: {
        tags: ['auth'],
        summary: 'Change your own password; ends all your sessions and starts a new one',
        body: jsonSchema(ChangeOwnPasswordBody),
        response: responses({ 204: { type: 'null' } }, 400, 401, 403, 429),
      },
    },
    async (request, reply) => {
      const parsed = ChangeOwnPasswordBody.safeParse(request.body);
      if (!parsed.success) return badRequest(reply, parsed.error.issues);
      const me = auth.user(request);
      if (!(await auth.store.verifyLogin(me.username, parsed.data.currentPassword))) {
        audit.record({ actorId: me.id, actor: me.username, ip: request.ip, action: 'password.change', target: me.username, outcome: 'failed', detail: { why: 'wrong current password' } });
        return reply.code(403).send({ error: 'bad_credentials', message: 'the current password is wrong' });
      }
      try {
        await auth.store.setPassword(me.id, parsed.data.newPassword);
      } catch (err) {
        if (err instanceof PasswordPolicyError) return reply.code(400).send({ error: 'weak_password', message: err.message });
        throw err;
      }
      const { token, expiresAt } = auth.store.createSession(me.id, auth.cookie.ttlMs);
      auth.setSessionCookie(reply, token, expiresAt);
      audit.record({ actorId: me.id, actor: me.username, ip: request.ip, action: 'password.change', target: me.username });
      request.log.info({ username: me.username }, 'review: password changed');
      return reply.code(204).send();
    },
  );
};
