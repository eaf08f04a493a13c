import { z } from 'zod';
import { EventSchema } from '../../contracts/event.js';
import { ViolationType } from '../../contracts/violation.js';
import { REVIEW_ACTIONS, REVIEW_STATUSES, ROLES } from '../store/status.js';
import { SORT_FIELDS, MAX_PAGE } from '../store/event-store.js';
import { SourceStateSchema } from './camera-view.js';
import { CameraAlertSchema, TourStatusSchema, TransportChoiceSchema } from '../../contracts/camera-status.js';

/** The API's wire shapes (zod, turned into JSON Schema per route). */

export const ReviewStatus = z.enum(REVIEW_STATUSES);
export const Role = z.enum(ROLES);
export const ReviewActionName = z.enum(REVIEW_ACTIONS);

export const UserView = z.object({
  id: z.number().int(),
  username: z.string(),
  role: Role,
  createdAt: z.number(),
  disabled: z.boolean(),
});

export const LoginBody = z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(256) }).strict();

export const ReviewEventView = EventSchema.extend({
  status: ReviewStatus,
  receivedAt: z.number().describe('when the first queue message for the event arrived (epoch ms)'),
  updatedAt: z.number().describe('last change by the pipeline or a reviewer (epoch ms)'),
});

export const TimelineEntryView = z.object({
  at: z.number(),
  source: z.enum(['pipeline', 'review']),
  action: z.string(),
  actor: z.string(),
  fromStatus: ReviewStatus.optional(),
  toStatus: ReviewStatus.optional(),
  reason: z.string().optional(),
  note: z.string().optional(),
  squad: z.string().optional(),
  gridCell: z.string().optional(),
});

const many = <T extends z.ZodType>(item: T) => z.array(item).max(50);

export const EventListQuery = z
  .object({
    camera: many(z.string().max(64)).optional().describe('repeat to match any of several'),
    zone: many(z.string().max(64)).optional(),
    type: many(ViolationType).optional(),
    status: many(ReviewStatus).optional(),
    from: z.number().int().min(0).optional().describe('confirmedAt ≥ from (epoch ms)'),
    to: z.number().int().min(0).optional().describe('confirmedAt ≤ to (epoch ms)'),
    limit: z.number().int().min(1).max(MAX_PAGE).default(50),
    offset: z.number().int().min(0).max(1_000_000).default(0),
    sort: z.enum(SORT_FIELDS).default('confirmedAt'),
    order: z.enum(['asc', 'desc']).default('desc'),
  })
  .strict();
export type EventListQuery = z.infer<typeof EventListQuery>;

export const EventPageView = z.object({
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
  items: z.array(ReviewEventView),
});

export const EventDetailView = z.object({
  event: ReviewEventView,
  history: z.array(TimelineEntryView),
  allowedActions: z.array(ReviewActionName).describe('what the current user may do to it now'),
});

export const EventIdParams = z.object({ id: z.string().min(1).max(200) }).strict();

export const StatsQuery = z
  .object({
    camera: many(z.string().max(64)).optional(),
    zone: many(z.string().max(64)).optional(),
    from: z.number().int().min(0).optional(),
    to: z.number().int().min(0).optional(),
  })
  .strict();

const Counts = z.record(z.string(), z.number().int());
export const StatsView = z.object({
  total: z.number().int(),
  byType: Counts,
  byStatus: Counts,
  byTypeStatus: z.record(z.string(), Counts),
});

export const CameraView = z.object({
  id: z.string(),
  name: z.string(),
  enabled: z.boolean(),
  source: z.string().describe('the stream address with credentials and query string removed'),
  violations: z.array(ViolationType),
  state: SourceStateSchema.or(z.literal('unknown')),
  reason: z.string().optional(),
  lastFrameAt: z.number().optional(),
  retryAt: z.number().optional(),
  liveView: z.boolean().describe('whether a live view can be opened'),
  worker: z.string().optional().describe('the worker (fleet) or process analyzing the camera'),
  since: z.number().optional().describe('when the camera entered this state (epoch ms)'),
  fps: z.number().optional().describe('frames analyzed per second over the last minute'),
  alerts: z.array(CameraAlertSchema).describe('open health alerts (frozen, dark, blurred, shifted) with their start times'),
  updatedAt: z.number().optional().describe('when the worker last reported (epoch ms)'),
  tour: TourStatusSchema.optional().describe('toured cameras (tour mode): revisit interval, last visit, next due, visits, interval misses, held open'),
  transport: TransportChoiceSchema.describe('how the camera is received (ffmpeg or the in-process client) and why'),
});

export const AlertView = z.object({
  cameraId: z.string(),
  cameraName: z.string(),
  check: CameraAlertSchema.shape.check,
  since: z.number(),
  worker: z.string().optional(),
});
export const AlertsBody = z.object({ alerts: z.array(AlertView).describe('every open camera health alert, newest first') });
