import type { Log } from '../log/log.js';
import { redactRedisUrl, scrubSecret } from '../log/redact.js';

/** Error codes and messages that mean "Redis is not reachable right now", as opposed to a bug. */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EAI_AGAIN']);
const CONNECTION_MESSAGES = /Connection is closed|Stream isn't writeable|enableOfflineQueue|MaxRetriesPerRequest|Reached the max retries|timed out|LOADING|connect E[A-Z]+/i;

export function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as NodeJS.ErrnoException).code;
  return (code !== undefined && CONNECTION_CODES.has(code)) || CONNECTION_MESSAGES.test(err.message);
}

/**
 * Logs a Redis outage once when it starts and once when it ends, however many connections report it and
 * however often ioredis retries (it emits an error per reconnect attempt, several per second). One per queue
 * instance, no module state.
 */
export class OutageLog {
  private since: number | undefined;
  private errors = 0;
  readonly target: string;

  constructor(
    private readonly logger: Log,
    private readonly url: string,
    private readonly now: () => number = Date.now,
  ) {
    this.target = redactRedisUrl(url);
  }

  get down(): boolean {
    return this.since !== undefined;
  }

  /** A connection-level failure; logs only the first one of an outage. */
  failed(err: unknown, context: string): void {
    this.errors++;
    if (this.since !== undefined) return;
    this.since = this.now();
    const message = err instanceof Error ? scrubSecret(err.message, this.url) : String(err);
    this.logger.warn(
      { redis: this.target, err: message, context },
      'Redis unreachable: dispatch messages are spooled on local disk and replayed when it returns',
    );
  }

  /** The connection is usable again; logs the end of the outage if there was one. */
  recovered(context: string): void {
    if (this.since === undefined) return;
    const downMs = this.now() - this.since;
    this.logger.info({ redis: this.target, downMs, errors: this.errors, context }, 'Redis reachable again');
    this.since = undefined;
    this.errors = 0;
  }
}
