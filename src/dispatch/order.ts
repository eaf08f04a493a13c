import type { PatrolEvent } from '../contracts/event.js';

/**
 * For a consumer that upserts events by id: whether `incoming` should replace `stored`.
 *
 * Delivery is at-least-once and, with BullMQ retries, not strictly ordered: an event's `ended` can arrive
 * before a retried `opened` or `updated`. Each message carries the whole event record, so the consumer keeps
 * the most advanced one: an ended record beats an open one (an event never reopens — a new incident gets a
 * new id), otherwise the later lastSeenAt wins, and on a tie the incoming one (a redelivery of the same
 * message is then a harmless rewrite).
 */
export function supersedes(incoming: PatrolEvent, stored: PatrolEvent | undefined): boolean {
  if (!stored) return true;
  if ((stored.endedAt !== null) !== (incoming.endedAt !== null)) return incoming.endedAt !== null;
  return incoming.lastSeenAt >= stored.lastSeenAt;
}
