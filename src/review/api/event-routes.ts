import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { EventStore } from '../store/event-store.js';
import { ACTION_INPUTS } from '../store/action-input.js';
import { allowedActions, REVIEW_ACTIONS, TRANSITIONS } from '../store/status.js';
import type { SessionAuth } from '../auth/session-auth.js';
import type { AuditStore } from '../store/audit-store.js';
import type { NormalHereOutcome, SceneFeedbackSink } from '../../contracts/scene-feedback.js';
import { jsonSchema, responses } from './json-schema.js';
import { EventDetailView, EventIdParams, EventListQuery, EventPageView, ReviewEventView, StatsQuery, StatsView } from './schemas.js';

export interface EventRoutesOptions {
  auth: SessionAuth;
  events: EventStore;
  /** Every reviewer action, refused ones included, is recorded here. */
  audit?: AuditStore;
  /** Where a reject as `normal_here` goes to teach the camera's scene model; absent → recorded only. */
  sceneFeedback?: SceneFeedbackSink;
}

const NORMAL_HERE_OUTCOMES = ['applied', 'sent', 'not-analyzed', 'unavailable'] as const satisfies readonly NormalHereOutcome[];

const STATUS_FOR_CODE = { not_found: 404, forbidden: 403, invalid_transition: 409, invalid_input: 400 } as const;

/** The event queue: list, detail, stats and the reviewer actions. */
export const eventRoutes: FastifyPluginAsync<EventRoutesOptions> = async (app, { auth, events, audit, sceneFeedback }) => {
  app.get(
    '/api/events',
    {
      onRequest: auth.require('operator'),
      schema: {
        tags: ['events'],
        summary: 'List events with filters, paging and sorting',
        querystring: jsonSchema(EventListQuery),
        response: responses({ 200: jsonSchema(EventPageView, 'output') }, 400, 401, 403),
      },
    },
    async (request, reply) => {
      const query = request.query as EventListQuery;
      // Ajv coerces "1e309" to Infinity and lets it through as an integer; SQLite would then fail.
      const infinite = (['from', 'to', 'limit', 'offset'] as const).find((k) => query[k] !== undefined && !Number.isFinite(query[k]));
      if (infinite) return reply.code(400).send({ error: 'invalid_request', message: `querystring/${infinite} must be a finite number` });
      return events.list(query);
    },
  );

  app.get(
    '/api/events/:id',
    {
      onRequest: auth.require('operator'),
      schema: {
        tags: ['events'],
        summary: 'One event with its history and the actions open to you',
        params: jsonSchema(EventIdParams),
        response: responses({ 200: jsonSchema(EventDetailView, 'output') }, 401, 403, 404),
      },
    },
    async (request, reply) => {
      const { id } = request.params as z.infer<typeof EventIdParams>;
      const event = events.get(id);
      if (!event) return reply.code(404).send({ error: 'not_found', message: `no event ${id}` });
      return { event, history: events.timeline(id), allowedActions: allowedActions(event.status, auth.user(request).role) };
    },
  );

  app.get(
    '/api/stats',
    {
      onRequest: auth.require('operator'),
      schema: {
        tags: ['events'],
        summary: 'Event counts by type and status',
        querystring: jsonSchema(StatsQuery),
        response: responses({ 200: jsonSchema(StatsView, 'output') }, 400, 401, 403),
      },
    },
    async (request) => events.stats(request.query as z.infer<typeof StatsQuery>),
  );

  for (const action of REVIEW_ACTIONS) {
    app.post(
      `/api/events/:id/${action}`,
      {
        onRequest: auth.require(TRANSITIONS[action].minRole),
        // `curl -X POST …/confirm` with no body means "no note", not a malformed request.
        preValidation: async (request) => {
          if (request.body === undefined || request.body === null) request.body = {};
        },
        schema: {
          tags: ['actions'],
          summary: `${action[0]!.toUpperCase()}${action.slice(1)} an event (${TRANSITIONS[action].minRole} or above; from ${TRANSITIONS[action].from.join('/')})`,
          params: jsonSchema(EventIdParams),
          body: jsonSchema(ACTION_INPUTS[action]),
          response: responses(
            {
              200: jsonSchema(
                z.object({
                  event: ReviewEventView,
                  sceneFeedback: z
                    .enum(NORMAL_HERE_OUTCOMES)
                    .optional()
                    .describe('reject as normal_here only: applied to the scene model here, sent to the worker analyzing the camera, not-analyzed (no scene model runs for it now), or unavailable (not delivered; the reject is recorded)'),
                }),
                'output',
              ),
            },
            400,
            401,
            403,
            404,
            409,
          ),
        },
      },
      async (request, reply) => {
        const { id } = request.params as z.infer<typeof EventIdParams>;
        const user = auth.user(request);
        const result = events.act(id, { id: user.id, username: user.username, role: user.role }, action, request.body);
        const normalHere = result.ok && action === 'reject' && (request.body as { reason?: string }).reason === 'normal_here';
        const feedback = normalHere && result.ok ? await teachScene(sceneFeedback, result.event, user.username, request.log) : undefined;
        audit?.record({
          actorId: user.id,
          actor: user.username,
          ip: request.ip,
          action: `event.${action}`,
          target: id,
          outcome: result.ok ? 'ok' : result.code === 'forbidden' ? 'denied' : 'failed',
          detail: { ...(request.body as Record<string, unknown>), ...(result.ok ? {} : { error: result.code }), ...(feedback ? { sceneFeedback: feedback } : {}) },
        });
        if (!result.ok) return reply.code(STATUS_FOR_CODE[result.code]).send({ error: result.code, message: result.message });
        request.log.info({ eventId: id, action, by: user.username }, 'review: action');
        return feedback ? { event: result.event, sceneFeedback: feedback } : { event: result.event };
      },
    );
  }
};

/** Hands a "normal here" to the scene model; a failure to deliver never fails the reject that caused it. */
async function teachScene(
  sink: SceneFeedbackSink | undefined,
  event: { id: string; cameraId: string; bestBoxes: readonly { box: [number, number, number, number] }[] },
  by: string,
  log: { warn(obj: object, msg: string): void },
): Promise<NormalHereOutcome> {
  if (!sink) return 'unavailable';
  try {
    return await sink.normalHere({ cameraId: event.cameraId, eventId: event.id, boxes: event.bestBoxes.map((b) => b.box), by, at: Date.now() });
  } catch (err) {
    log.warn({ err, eventId: event.id }, 'review: normal-here could not reach the scene model');
    return 'unavailable';
  }
}
