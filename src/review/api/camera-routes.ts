import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { CameraConfig } from '../../config/schema.js';
import type { CameraRuntimeStatus } from '../../contracts/camera-status.js';
import type { SessionAuth } from '../auth/session-auth.js';
import { cameraView } from './camera-view.js';
import { jsonSchema, responses } from './json-schema.js';
import { AlertsBody, CameraView } from './schemas.js';

export interface CameraRoutesOptions {
  auth: SessionAuth;
  cameras: readonly CameraConfig[];
  getCameraStatus?: (cameraId: string) => CameraRuntimeStatus | undefined;
  liveViewEnabled: boolean;
}

const CameraParams = z.object({ id: z.string().min(1).max(64) }).strict();

/**
 * Cameras and their connection state. The response schema lists every field that may leave the server,
 * so a camera URL with credentials cannot slip out even if the view model grew one by mistake.
 */
export const cameraRoutes: FastifyPluginAsync<CameraRoutesOptions> = async (app, { auth, cameras, getCameraStatus, liveViewEnabled }) => {
  app.get(
    '/api/cameras',
    {
      onRequest: auth.require('operator'),
      schema: {
        tags: ['cameras'],
        summary: 'Cameras with their connection state (addresses shown without credentials)',
        response: responses({ 200: jsonSchema(z.object({ cameras: z.array(CameraView) }), 'output') }, 401, 403),
      },
    },
    async () => ({ cameras: cameras.map((c) => cameraView(c, getCameraStatus?.(c.id), liveViewEnabled)) }),
  );

  app.get(
    '/api/alerts',
    {
      onRequest: auth.require('operator'),
      schema: {
        tags: ['cameras'],
        summary: 'Open camera health alerts (frozen, dark, blurred, view shifted) across all cameras, newest first: the top bar',
        response: responses({ 200: jsonSchema(AlertsBody, 'output') }, 401, 403),
      },
    },
    async () => ({
      alerts: cameras
        .flatMap((c) => {
          const s = getCameraStatus?.(c.id);
          return (s?.alerts ?? []).map((a) => ({ cameraId: c.id, cameraName: c.name ?? c.id, check: a.check, since: a.since, ...(s?.worker ? { worker: s.worker } : {}) }));
        })
        .sort((a, b) => b.since - a.since),
    }),
  );

  // Only here so the route is documented and a plain GET gets a useful answer: the WebSocket upgrade
  // itself never reaches fastify's router (live-proxy.ts handles the server's `upgrade` event).
  app.get(
    '/api/cameras/:id/live',
    {
      onRequest: auth.require('operator'),
      schema: {
        tags: ['cameras'],
        summary: 'Live view: a WebSocket (jsmpeg MPEG-TS stream), started on demand and stopped when the last viewer leaves',
        params: jsonSchema(CameraParams),
        response: responses({}, 401, 403, 404, 426),
      },
    },
    async (request, reply) => {
      const { id } = request.params as z.infer<typeof CameraParams>;
      if (!cameras.some((c) => c.id === id)) return reply.code(404).send({ error: 'not_found', message: `no camera ${id}` });
      return reply.code(426).header('upgrade', 'websocket').send({ error: 'upgrade_required', message: 'open this URL as a WebSocket' });
    },
  );
};
