import { DispatchMessageSchema, type DispatchMessage } from '../contracts/dispatch-message.js';

/**
 * Checks a message before it is made durable: a malformed one would otherwise sit in the queue and fail every
 * delivery. A bad message is a bug in the caller, so this throws (unlike an outage, which never does).
 */
export function checkMessage(msg: DispatchMessage): DispatchMessage {
  const parsed = DispatchMessageSchema.safeParse(msg);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TypeError(`invalid dispatch message${issue ? ` at ${issue.path.join('.') || '(root)'}: ${issue.message}` : ''}`);
  }
  if (parsed.data.jobId.length === 0) throw new TypeError('invalid dispatch message: jobId must not be empty (it is the idempotency key)');
  return parsed.data;
}
