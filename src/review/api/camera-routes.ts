import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { CameraConfig } from '../../config/schema.js';
import type { SourceStatus } from '../../contracts/camera-status.js';
import type { SessionAuth } from '../auth/session-auth.js';
import { cameraView } from './camera-view.js';
import { jsonSchema, responses } from './json-schema.js';
import { CameraView } from './schemas.js';

export interface CameraRoutesOptions {
  auth: SessionAuth;
  cameras: readonly CameraConfig[];
  getCameraStatus?: (cameraId: string) => SourceStatus | undefined;
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
