import { z } from 'zod';
import { EventSchema } from './event.js';

/**
 * A message on the dispatch queue. `jobId` is the idempotency key: publishing the same jobId twice
 * (a retry, a replay after a crash or a Redis outage) delivers it once.
 */
export const DispatchMessageSchema = z.object({
  jobId: z.string(),
  kind: z.enum(['opened', 'updated', 'ended']),
  event: EventSchema,
  publishedAt: z.number(),
});
export type DispatchMessage = z.infer<typeof DispatchMessageSchema>;
