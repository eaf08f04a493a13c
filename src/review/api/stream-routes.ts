import type { FastifyPluginAsync } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { EventStore } from '../store/event-store.js';
import { SESSION_COOKIE, type SessionAuth } from '../auth/session-auth.js';
import { responses } from './json-schema.js';

export interface StreamRoutesOptions {
  auth: SessionAuth;
  events: EventStore;
  /** Comment line this often, so proxies keep the connection and dead clients are noticed. */
  heartbeatMs?: number;
}

/**
 * Server-sent events: one `change` message per new or changed event (pipeline message or reviewer
 * action), carrying the cause and the event. The session is re-checked at each heartbeat, so a logout
 * or an expired session ends the stream too.
 */
export const streamRoutes: FastifyPluginAsync<StreamRoutesOptions> = async (app, { auth, events, heartbeatMs = 20_000 }) => {
  const open = new Set<ServerResponse>();
  // Hijacked responses are invisible to fastify's close; end them so shutdown does not hang.
  app.addHook('preClose', async () => {
    for (const res of open) res.end();
  });

  app.get(
    '/api/stream',
    {
      onRequest: auth.require('operator'),
      schema: {
        tags: ['events'],
        summary: 'Live changes as server-sent events (event: change, data: {cause, event})',
        produces: ['text/event-stream'],
        response: responses({}, 401, 403),
      },
    },
    (request, reply) => {
      const token = request.cookies[SESSION_COOKIE];
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write('retry: 3000\n\n');
      open.add(res);
      const unsubscribe = events.onChange(({ cause, event }) => {
        res.write(`event: change\ndata: ${JSON.stringify({ cause, event })}\n\n`);
      });
      const heartbeat = setInterval(() => {
        if (!auth.userForToken(token, false)) res.end();
        else res.write(': ping\n\n');
      }, heartbeatMs);
      const cleanup = () => {
        clearInterval(heartbeat);
        unsubscribe();
        open.delete(res);
      };
      res.on('close', cleanup);
    },
  );
};
