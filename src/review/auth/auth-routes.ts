import type { FastifyPluginAsync } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { z } from 'zod';
import { jsonSchema, responses } from '../api/json-schema.js';
import { LoginBody, UserView } from '../api/schemas.js';
import { NewPassword, NewUserInput, UserExistsError } from '../store/user-store.js';
import { SESSION_COOKIE, type SessionAuth } from './session-auth.js';

export interface AuthRoutesOptions {
  auth: SessionAuth;
  /** Login attempts per IP per minute. */
  loginPerMinute: number;
}

const UserBody = z.object({ user: UserView });
const ChangePasswordBody = z.object({ currentPassword: z.string().min(1).max(256), newPassword: NewPassword }).strict();

/** Login, logout, who am I, and user administration. */
export const authRoutes: FastifyPluginAsync<AuthRoutesOptions> = async (app, { auth, loginPerMinute }) => {
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
        summary: 'Log in; sets the HttpOnly session cookie',
        body: jsonSchema(LoginBody),
        response: responses({ 200: jsonSchema(UserBody, 'output') }, 400, 401, 429),
      },
    },
    async (request, reply) => {
      const { username, password } = request.body as z.infer<typeof LoginBody>;
      const user = await auth.store.verifyLogin(username, password);
      if (!user) {
        request.log.warn({ username }, 'review: failed login');
        return reply.code(401).send({ error: 'bad_credentials', message: 'wrong username or password' });
      }
      const { token, expiresAt } = auth.store.createSession(user.id, auth.cookie.ttlMs);
      auth.setSessionCookie(reply, token, expiresAt);
      request.log.info({ username: user.username, role: user.role }, 'review: login');
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
        body: jsonSchema(ChangePasswordBody),
        response: responses({ 204: { type: 'null' } }, 400, 401, 403, 429),
      },
    },
    async (request, reply) => {
      const parsed = ChangePasswordBody.safeParse(request.body);
      if (!parsed.success) return reply.code(400).send({ error: 'invalid_request', message: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
      const me = auth.user(request);
      if (!(await auth.store.verifyLogin(me.username, parsed.data.currentPassword))) {
        return reply.code(403).send({ error: 'bad_credentials', message: 'the current password is wrong' });
      }
      await auth.store.setPassword(me.id, parsed.data.newPassword);
      const { token, expiresAt } = auth.store.createSession(me.id, auth.cookie.ttlMs);
      auth.setSessionCookie(reply, token, expiresAt);
      request.log.info({ username: me.username }, 'review: password changed');
      return reply.code(204).send();
    },
  );

  app.get(
    '/api/users',
    {
      onRequest: auth.require('admin'),
      schema: { tags: ['users'], summary: 'All users (admin)', response: responses({ 200: jsonSchema(z.object({ users: z.array(UserView) }), 'output') }, 401, 403) },
    },
    async () => ({ users: auth.store.list() }),
  );

  app.post(
    '/api/users',
    {
      onRequest: auth.require('admin'),
      schema: {
        tags: ['users'],
        summary: 'Create a user (admin)',
        body: jsonSchema(NewUserInput),
        response: responses({ 201: jsonSchema(UserBody, 'output') }, 400, 401, 403, 409),
      },
    },
    async (request, reply) => {
      const parsed = NewUserInput.safeParse(request.body);
      if (!parsed.success) return reply.code(400).send({ error: 'invalid_request', message: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
      try {
        const user = await auth.store.create(parsed.data);
        request.log.info({ username: user.username, role: user.role, by: auth.user(request).username }, 'review: user created');
        return reply.code(201).send({ user });
      } catch (err) {
        if (err instanceof UserExistsError) return reply.code(409).send({ error: 'user_exists', message: err.message });
        throw err;
      }
    },
  );
};
