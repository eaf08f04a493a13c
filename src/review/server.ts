import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { mkdirSync, realpathSync } from 'node:fs';
import type { Logger } from 'pino';
import type { CameraConfig } from '../config/schema.js';
import type { CameraRuntimeStatus } from '../contracts/camera-status.js';
import type { ReviewStore } from './store/review-store.js';
import { DEFAULT_IDLE_MS, DEFAULT_SESSION_TTL_MS } from './store/user-store.js';
import { SessionAuth } from './auth/session-auth.js';
import { authRoutes } from './auth/auth-routes.js';
import { AccountThrottle, type ThrottlePolicy } from './auth/account-throttle.js';
import { userRoutes } from './api/user-routes.js';
import { auditRoutes } from './api/audit-routes.js';
import { addSecurityHeaders, docsCsp } from './security-headers.js';
import { eventRoutes } from './api/event-routes.js';
import { mediaRoutes } from './api/media-routes.js';
import { cameraRoutes } from './api/camera-routes.js';
import { streamRoutes } from './api/stream-routes.js';
import { metaRoutes } from './api/meta-routes.js';
import { uiPlugin } from './ui-plugin.js';
import { attachLiveProxy } from './live-proxy.js';
import type { LiveView } from './live-view.js';
import type { SceneFeedbackSink } from '../contracts/scene-feedback.js';

export interface ReviewServerOptions {
  store: ReviewStore;
  /** Where evidence files live; media paths recorded with events are relative to it. */
  storageDir: string;
  logger?: Logger;
  cameras: readonly CameraConfig[];
  /** Connection state per camera, from the ingest layer; absent → cameras show "unknown". */
  getCameraStatus?: (cameraId: string) => CameraRuntimeStatus | undefined;
  /** On-demand live view (node-rtsp-stream); absent → no live view. */
  liveView?: LiveView;
  /** Session cookie's Secure flag; 'auto' (default) = when the request came over https. */
  cookieSecure?: boolean | 'auto';
  sessionTtlMs?: number;
  /** A session unused this long ends (default 30 min). */
  idleMs?: number;
  /** Per-account login lockout (default 5 failures in 15 min lock it for 15 min). */
  lockout?: ThrottlePolicy;
  /** Login attempts per client IP per minute (default 10). */
  loginPerMinute?: number;
  /** Largest request body in bytes (default 16 KiB; actions and logins are tiny). */
  bodyLimit?: number;
  /** Server-sent events heartbeat (and session re-check) interval; default 20 s. */
  sseHeartbeatMs?: number;
  /** Squads offered in the dispatch form (default: meta-routes' DEFAULT_SQUADS). */
  squads?: readonly string[];
  /** Where a reject as "normal here" teaches the camera's scene model (this process's pipeline or the fleet). */
  sceneFeedback?: SceneFeedbackSink;
  /** Behind a reverse proxy: trust its X-Forwarded-* headers (fastify's trustProxy). */
  trustProxy?: boolean | string | string[];
}

/**
 * The review service's HTTP side: API, media, server-sent events, OpenAPI docs at /docs, the web UI,
 * and the live-view WebSocket proxy. Each area is its own encapsulated plugin that gets what it needs
 * (the auth gate, the store) as options. Call `listen()` or `inject()`; `close()` does not close the store.
 */
export function buildReviewServer(opts: ReviewServerOptions): FastifyInstance {
  mkdirSync(opts.storageDir, { recursive: true });
  const storageRoot = realpathSync(opts.storageDir);
  const app = Fastify({
    ...(opts.logger ? { loggerInstance: opts.logger } : { logger: false }),
    bodyLimit: opts.bodyLimit ?? 16 * 1024,
    trustProxy: opts.trustProxy ?? false,
    // Unknown fields are an error, not silently dropped: a typo in "reason" must not pass as no reason.
    ajv: { customOptions: { removeAdditional: false } },
  }) as unknown as FastifyInstance;
  const auth = new SessionAuth(opts.store.users, {
    secure: opts.cookieSecure ?? 'auto',
    ttlMs: opts.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS,
    idleMs: opts.idleMs ?? DEFAULT_IDLE_MS,
  });
  const throttle = new AccountThrottle(opts.lockout ?? { failures: 5, windowMs: 15 * 60_000, lockMs: 15 * 60_000 });
  const audit = opts.store.audit;
  addSecurityHeaders(app);

  app.register(cookie);
  app.register(swagger, {
    openapi: {
      info: { title: 'Patrol review API', version: '1', description: 'Events, evidence and reviewer actions for command-center staff. Every route except login needs the session cookie.' },
      components: { securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: 'patrol_session' } } },
      security: [{ session: [] }],
    },
  });
  app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true, transformStaticCSP: docsCsp });

  // SameSite=Strict already keeps other sites' forms from carrying the cookie; an Origin that is not ours
  // on a state-changing request is refused as well, for older browsers and same-site subdomains.
  app.addHook('onRequest', async (request, reply) => {
    if (request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS') return;
    const origin = request.headers.origin;
    if (origin && !sameOrigin(origin, request.headers.host)) {
      return reply.code(403).send({ error: 'cross_origin', message: 'requests from other origins are refused' });
    }
  });

  app.setErrorHandler((err: FastifyError, request, reply) => {
    const status = err.statusCode ?? 500;
    if (err.validation) return reply.code(400).send({ error: 'invalid_request', message: err.message });
    if (status === 429) return reply.code(429).send({ error: 'rate_limited', message: err.message });
    if (status === 413) return reply.code(413).send({ error: 'payload_too_large', message: 'request body too large' });
    if (status >= 400 && status < 500) return reply.code(status).send({ error: err.code ?? 'bad_request', message: err.message });
    request.log.error({ err }, 'review: request failed');
    return reply.code(500).send({ error: 'internal', message: 'internal error; see the server log' });
  });
  app.setNotFoundHandler((request, reply) => reply.code(404).send({ error: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` }));

  const events = opts.store.events;
  app.register(authRoutes, { auth, audit, throttle, loginPerMinute: opts.loginPerMinute ?? 10 });
  app.register(userRoutes, { auth, audit });
  app.register(auditRoutes, { auth, audit });
  app.register(eventRoutes, { auth, events, audit, sceneFeedback: opts.sceneFeedback });
  app.register(mediaRoutes, { auth, events, storageRoot });
  app.register(streamRoutes, { auth, events, heartbeatMs: opts.sseHeartbeatMs });
  app.register(cameraRoutes, { auth, cameras: opts.cameras, getCameraStatus: opts.getCameraStatus, liveViewEnabled: opts.liveView !== undefined });
  app.register(metaRoutes, { auth, cameras: opts.cameras, squads: opts.squads });
  app.register(uiPlugin);
  if (opts.liveView) attachLiveProxy(app, { auth, liveView: opts.liveView });
  return app;
}

function sameOrigin(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}
