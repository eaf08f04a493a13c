import type { FastifyPluginAsync } from 'fastify';
import type { CameraConfig } from '../../config/schema.js';
import { ViolationType, VIOLATION_LABELS } from '../../contracts/violation.js';
import { REJECT_REASONS } from '../store/action-input.js';
import { REVIEW_STATUSES, ROLES } from '../store/status.js';
import { AUDIT_ACTIONS, AUDIT_OUTCOMES } from '../store/audit-store.js';
import { BOX_COLORS, textColorOn } from '../../evidence/snapshot.js';
import type { SessionAuth } from '../auth/session-auth.js';
import { MIN_PASSWORD_LENGTH } from '../auth/password-policy.js';
import { jsonSchema, responses } from './json-schema.js';
import { MetaView } from './meta-view.js';

/** Squads offered in the dispatch form when the deployment names none; free text is still accepted. */
export const DEFAULT_SQUADS: readonly string[] = ['一中队', '二中队', '三中队', '机动中队'];

export interface MetaRoutesOptions {
  auth: SessionAuth;
  cameras: readonly CameraConfig[];
  squads?: readonly string[];
}

export function buildMeta(cameras: readonly CameraConfig[], squads: readonly string[] = DEFAULT_SQUADS): MetaView {
  return {
    violations: ViolationType.options.map((type) => ({ type, label: VIOLATION_LABELS[type], color: BOX_COLORS[type], textColor: textColorOn(BOX_COLORS[type]) })),
    contextColor: BOX_COLORS.context,
    rejectReasons: [...REJECT_REASONS],
    statuses: [...REVIEW_STATUSES],
    roles: [...ROLES],
    auditActions: [...AUDIT_ACTIONS],
    auditOutcomes: [...AUDIT_OUTCOMES],
    squads: [...squads],
    passwordMinLength: MIN_PASSWORD_LENGTH,
    zones: cameras.flatMap((c) => c.zones.map((z) => ({ cameraId: c.id, id: z.id, ...(z.name ? { name: z.name } : {}), violations: z.violations, polygon: z.polygon.map((p) => [p[0], p[1]] as [number, number]) }))),
  };
}

/**
 * The constants the web UI shows, from the modules that define them, so the UI never keeps its own copy
 * (a box colour or a reason list that drifts from the server's is a quiet bug).
 */
export const metaRoutes: FastifyPluginAsync<MetaRoutesOptions> = async (app, { auth, cameras, squads }) => {
  const meta = buildMeta(cameras, squads);
  app.get(
    '/api/meta',
    {
      onRequest: auth.require('operator'),
      schema: {
        tags: ['meta'],
        summary: 'Violation types with labels and box colours, reject reasons, statuses, roles, audit actions, squads, zones',
        response: responses({ 200: jsonSchema(MetaView, 'output') }, 401, 403),
      },
    },
    async () => meta,
  );
};
