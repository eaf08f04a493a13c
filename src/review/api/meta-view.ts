import { z } from 'zod';
import { ViolationType } from '../../contracts/violation.js';
import { REJECT_REASONS } from '../store/action-input.js';
import { REVIEW_STATUSES, ROLES } from '../store/status.js';
import { AUDIT_ACTIONS, AUDIT_OUTCOMES } from '../store/audit-store.js';

/** What GET /api/meta answers: the constants the web UI shows. Apart from the route so the UI's types can import it without fastify. */
const Label = z.object({ zh: z.string(), en: z.string() });
const Point = z.tuple([z.number(), z.number()]);

export const MetaView = z.object({
  violations: z.array(z.object({ type: ViolationType, label: Label, color: z.string().describe('the box colour of evidence snapshots (#rrggbb)'), textColor: z.string().describe('label text colour on that box colour') })),
  contextColor: z.string().describe('box colour of detections that feed no violation'),
  rejectReasons: z.array(z.enum(REJECT_REASONS)),
  statuses: z.array(z.enum(REVIEW_STATUSES)),
  roles: z.array(z.enum(ROLES)),
  auditActions: z.array(z.enum(AUDIT_ACTIONS)),
  auditOutcomes: z.array(z.enum(AUDIT_OUTCOMES)),
  squads: z.array(z.string()),
  passwordMinLength: z.number().int().describe('the shortest new password the server accepts'),
  zones: z.array(
    z.object({
      cameraId: z.string(),
      id: z.string(),
      name: z.string().optional(),
      violations: z.array(ViolationType),
      polygon: z.array(Point).describe('normalized [x, y] points'),
    }),
  ),
});
export type MetaView = z.infer<typeof MetaView>;

