import type { ReviewConfig } from '../config/schema.js';
import type { ReviewServerOptions } from './server.js';

/** The config's `review` session and throttling fields as the review server's options (minutes/hours → ms). */
export function reviewSecurityOptions(r: ReviewConfig): Pick<ReviewServerOptions, 'trustProxy' | 'cookieSecure' | 'sessionTtlMs' | 'idleMs' | 'loginPerMinute' | 'lockout'> {
  return {
    trustProxy: r.trustProxy,
    cookieSecure: r.secureCookies,
    sessionTtlMs: Math.round(r.sessionHours * 3_600_000),
    idleMs: Math.round(r.idleMinutes * 60_000),
    loginPerMinute: r.loginPerMinute,
    lockout: { failures: r.lockout.failures, windowMs: Math.round(r.lockout.windowMinutes * 60_000), lockMs: Math.round(r.lockout.lockMinutes * 60_000) },
  };
}
