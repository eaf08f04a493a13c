import type { FastifyPluginAsync } from 'fastify';
import type { SessionAuth } from '../auth/session-auth.js';
import type { AuditStore } from '../store/audit-store.js';
import { AuditPageView, AuditQuery } from './account-schemas.js';
import { jsonSchema, responses } from './json-schema.js';

/** The audit log, newest first, with filters (admin only). */
export const auditRoutes: FastifyPluginAsync<{ auth: SessionAuth; audit: AuditStore }> = async (app, { auth, audit }) => {
  app.get(
    '/api/audit',
    {
      onRequest: auth.require('admin'),
      schema: {
        tags: ['audit'],
        summary: 'Audit log: logins, user changes, reviewer actions (admin)',
        querystring: jsonSchema(AuditQuery),
        response: responses({ 200: jsonSchema(AuditPageView, 'output') }, 400, 401, 403),
      },
    },
    async (request, reply) => {
      const q = request.query as AuditQuery;
      const infinite = (['from', 'to', 'limit', 'offset'] as const).find((k) => q[k] !== undefined && !Number.isFinite(q[k]));
      if (infinite) return reply.code(400).send({ error: 'invalid_request', message: `querystring/${infinite} must be a finite number` });
      return { ...audit.list(q), limit: q.limit, offset: q.offset };
    },
  );
};
