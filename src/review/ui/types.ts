// The API's shapes as the server's zod schemas define them: type-only imports, so the bundle carries no
// server code and a changed schema fails `tsc` here instead of at an operator's desk.
import type { z } from 'zod';
import type * as S from '../api/schemas.js';
import type * as A from '../api/account-schemas.js';
import type { MetaView } from '../api/meta-view.js';
import type { EventChangeNotice } from '../store/event-store.js';

export type ReviewEvent = z.infer<typeof S.ReviewEventView>;
export type EventPage = z.infer<typeof S.EventPageView>;
export type EventDetail = z.infer<typeof S.EventDetailView>;
export type TimelineEntry = z.infer<typeof S.TimelineEntryView>;
export type Stats = z.infer<typeof S.StatsView>;
export type Camera = z.infer<typeof S.CameraView>;
export type User = z.infer<typeof S.UserView>;
export type ReviewStatus = z.infer<typeof S.ReviewStatus>;
export type Role = z.infer<typeof S.Role>;
export type ReviewActionName = z.infer<typeof S.ReviewActionName>;
export type Meta = MetaView;
export type ViolationType = Meta['violations'][number]['type'];
export type RejectReason = Meta['rejectReasons'][number];
/** One server-sent `change` message; the event arrives as JSON, like every other read. */
export type Change = { cause: EventChangeNotice['cause']; event: ReviewEvent };
export type AuditEntry = z.infer<typeof A.AuditEntryView>;
export type AuditPage = z.infer<typeof A.AuditPageView>;
export type AuditAction = AuditEntry['action'];
export type AuditOutcome = AuditEntry['outcome'];
export type CameraAlert = Camera['alerts'][number];
export type Alerts = z.infer<typeof S.AlertsBody>;
