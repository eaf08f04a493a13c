import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { SessionAuth } from '../auth/session-auth.js';
import type { AuditAction, AuditStore } from '../store/audit-store.js';
import { PasswordPolicyError, UserExistsError, type User } from '../store/user-store.js';
import { CreateUserBody, ResetPasswordBody, RoleBody, UserIdParams } from './account-schemas.js';
import { jsonSchema, responses } from './json-schema.js';
import { UserView } from './schemas.js';

export interface UserRoutesOptions {
  auth: SessionAuth;
  audit: AuditStore;
}

const UserBody = z.object({ user: UserView });

/**
 * User administration (admin only): create, disable/enable, change role, reset password, delete. Every
 * change is audited. Guards: an admin cannot disable, demote or delete themself (another admin must), and
 * the last enabled admin stays — otherwise nobody could manage users any more.
 */
export const userRoutes: FastifyPluginAsync<UserRoutesOptions> = async (app, { auth, audit }) => {
  const store = auth.store;
  const gate = { onRequest: auth.require('admin') };

  const invalid = (reply: FastifyReply, issues: z.core.$ZodIssue[]) =>
    reply.code(400).send({ error: 'invalid_request', message: issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') });

  /** The target user, or a 404/409 already sent. `guard`: refuse changes to yourself and to the last admin. */
  function target(request: FastifyRequest, reply: FastifyReply, guard: 'self-and-last-admin' | 'none'): User | undefined {
    const { id } = UserIdParams.parse(request.params);
    const user = store.get(id);
    if (!user) {
      void reply.code(404).send({ error: 'not_found', message: `no user ${id}` });
      return undefined;
    }
    if (guard === 'self-and-last-admin') {
      if (user.id === auth.user(request).id) {
        void reply.code(409).send({ error: 'self', message: 'you cannot do this to your own account; ask another admin' });
        return undefined;
      }
      if (user.role === 'admin' && !user.disabled && store.otherEnabledAdmins(user.id) === 0) {
        void reply.code(409).send({ error: 'last_admin', message: `${user.username} is the last enabled admin; make another admin first` });
        return undefined;
      }
    }
    return user;
  }

  function record(request: FastifyRequest, action: AuditAction, target: string, detail?: Record<string, unknown>): void {
    const me = auth.user(request);
    audit.record({ actorId: me.id, actor: me.username, ip: request.ip, action, target, detail });
    request.log.info({ action, target, by: me.username, ...detail }, 'review: user change');
  }

  const idParams = jsonSchema(z.object({ id: z.number().int().min(1) }));

  app.get(
    '/api/users',
    { ...gate, schema: { tags: ['users'], summary: 'All users (admin)', response: responses({ 200: jsonSchema(z.object({ users: z.array(UserView) }), 'output') }, 401, 403) } },
    async () => ({ users: store.list() }),
  );

  app.post(
    '/api/users',
    {
      ...gate,
      schema: {
        tags: ['users'],
        summary: 'Create a user (admin). 409 when the name is taken or looks like a taken one',
        body: jsonSchema(CreateUserBody),
        response: responses({ 201: jsonSchema(UserBody, 'output') }, 400, 401, 403, 409),
      },
    },
    async (request, reply) => {
      const parsed = CreateUserBody.safeParse(request.body);
      if (!parsed.success) return invalid(reply, parsed.error.issues);
      try {
        const user = await store.create(parsed.data);
        record(request, 'user.create', user.username, { role: user.role });
        return reply.code(201).send({ user });
      } catch (err) {
        if (err instanceof UserExistsError) return reply.code(409).send({ error: err.lookalikeOf ? 'user_lookalike' : 'user_exists', message: err.message });
        if (err instanceof PasswordPolicyError) return reply.code(400).send({ error: 'weak_password', message: err.message });
        throw err;
      }
    },
  );

  for (const [verb, disabled] of [['disable', true], ['enable', false]] as const) {
    app.post(
      `/api/users/:id/${verb}`,
      {
        ...gate,
        schema: {
          tags: ['users'],
          summary: disabled ? 'Disable a user (admin): their sessions end at once; they cannot log in' : 'Enable a disabled user again (admin)',
          params: idParams,
          response: responses({ 200: jsonSchema(UserBody, 'output') }, 401, 403, 404, 409),
        },
      },
      async (request, reply) => {
        const user = target(request, reply, disabled ? 'self-and-last-admin' : 'none');
        if (!user) return reply;
        const updated = store.setDisabled(user.id, disabled)!;
        if (user.disabled !== disabled) record(request, disabled ? 'user.disable' : 'user.enable', user.username);
        return { user: updated };
      },
    );
  }

  app.post(
    '/api/users/:id/role',
    {
      ...gate,
      schema: {
        tags: ['users'],
        summary: "Change a user's role (admin); takes effect on their next request",
        params: idParams,
        body: jsonSchema(RoleBody),
        response: responses({ 200: jsonSchema(UserBody, 'output') }, 400, 401, 403, 404, 409),
      },
    },
    async (request, reply) => {
      const parsed = RoleBody.safeParse(request.body);
      if (!parsed.success) return invalid(reply, parsed.error.issues);
      const user = target(request, reply, parsed.data.role === 'admin' ? 'none' : 'self-and-last-admin');
      if (!user) return reply;
      const updated = store.setRole(user.id, parsed.data.role)!;
      if (user.role !== parsed.data.role) record(request, 'user.role', user.username, { from: user.role, to: parsed.data.role });
      return { user: updated };
    },
  );

  app.post(
    '/api/users/:id/password',
    {
      ...gate,
      schema: {
        tags: ['users'],
        summary: "Reset a user's password (admin); ends their sessions. Tell them the new one out of band",
        params: idParams,
        body: jsonSchema(ResetPasswordBody),
        response: responses({ 204: { type: 'null' } }, 400, 401, 403, 404, 409),
      },
    },
    async (request, reply) => {
      const parsed = ResetPasswordBody.safeParse(request.body);
      if (!parsed.success) return invalid(reply, parsed.error.issues);
      const user = target(request, reply, 'none');
      if (!user) return reply;
      // Your own password goes through /api/me/password, which asks for the current one (a left-open
      // console must not let a passer-by take over the admin account) and keeps you logged in.
      if (user.id === auth.user(request).id) return reply.code(409).send({ error: 'self', message: 'change your own password on your account page (POST /api/me/password)' });
      try {
        await store.setPassword(user.id, parsed.data.password);
      } catch (err) {
        if (err instanceof PasswordPolicyError) return reply.code(400).send({ error: 'weak_password', message: err.message });
        throw err;
      }
      record(request, 'user.password_reset', user.username);
      return reply.code(204).send();
    },
  );

  app.delete(
    '/api/users/:id',
    {
      ...gate,
      schema: {
        tags: ['users'],
        summary: 'Delete a user (admin); their past actions keep their name. Prefer disable, which can be undone',
        params: idParams,
        response: responses({ 204: { type: 'null' } }, 401, 403, 404, 409),
      },
    },
    async (request, reply) => {
      const user = target(request, reply, 'self-and-last-admin');
      if (!user) return reply;
      store.delete(user.id);
      record(request, 'user.delete', user.username, { role: user.role });
      return reply.code(204).send();
    },
  );
};
