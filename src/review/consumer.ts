import { ZodError } from 'zod';
import type { Logger } from 'pino';
import type { DispatchMessage } from '../contracts/dispatch-message.js';
import type { DispatchQueue } from '../dispatch/queue.js';
import type { ReviewStore } from './store/review-store.js';

/**
 * The handler that feeds the review store from the dispatch queue. A message that fails validation is
 * parked in `dead_letters` and acknowledged (redelivering it would fail the same way forever); any other
 * error (disk full, database locked) is thrown, so the queue redelivers later.
 */
export function reviewHandler(store: ReviewStore, logger?: Logger): (msg: DispatchMessage) => Promise<void> {
  return async (msg) => {
    try {
      const r = store.apply(msg);
      logger?.debug({ jobId: msg.jobId, eventId: msg.event?.id, kind: msg.kind, applied: r.applied }, 'review: message applied');
    } catch (err) {
      if (!(err instanceof ZodError)) throw err;
      const error = err.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      store.deadLetter(msg, error);
      logger?.error({ jobId: (msg as { jobId?: unknown }).jobId, error }, 'review: invalid dispatch message parked in dead_letters');
    }
  };
}

/** Starts consuming: `await consumeIntoStore(queue, store, logger)`. */
export async function consumeIntoStore(queue: DispatchQueue, store: ReviewStore, logger?: Logger): Promise<void> {
  await queue.consume(reviewHandler(store, logger));
}
