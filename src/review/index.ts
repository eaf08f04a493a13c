/** The review service's public API: the store, its queue consumer, first-run admin, the HTTP server and live view. */
export { ReviewStore, openReviewStore, type ReviewStoreOptions } from './store/review-store.js';
export type { ReviewEvent, EventQuery, EventPage, EventStats, TimelineEntry, ApplyResult, ActResult, EventChangeNotice } from './store/event-store.js';
export { REVIEW_STATUSES, REVIEW_ACTIONS, ROLES, transition, allowedActions, type ReviewStatus, type ReviewAction, type Role } from './store/status.js';
export { REJECT_REASONS, type RejectReason } from './store/action-input.js';
export { consumeIntoStore, reviewHandler } from './consumer.js';
export { ensureAdmin, type EnsureAdminResult } from './auth/ensure-admin.js';
export { buildReviewServer, type ReviewServerOptions } from './server.js';
export { LiveView, type LiveViewOptions } from './live-view.js';
