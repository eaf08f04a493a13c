// Greedy up to the last "@" before the path: a raw "@" inside a password stays hidden too.
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#]*@/gi;
const SECRET_PARAM = /([?&;](?:password|passwd|pwd|pass|token|auth|key|secret|signature)=)[^&#\s]*/gi;

/**
 * Removes credentials from URLs inside any text (a URL, an ffmpeg error line, a log message), so camera
 * passwords never reach logs, statuses or the review UI: `rtsp://user:pass@host/x` → `rtsp://***@host/x`,
 * and secret-looking query parameters (`password=`, `token=` …) keep their name and lose their value.
 */
export function redactCredentials(text: string): string {
  return text.replace(USERINFO, '$1***@').replace(SECRET_PARAM, '$1***');
}

/** Redacts every string inside a plain value (objects, arrays); other values are returned as they are. */
export function redactDeep<T>(value: T, depth = 0): T {
  if (typeof value === 'string') return redactCredentials(value) as T;
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return value;
  if (value instanceof Error) {
    const copy = new Error(redactCredentials(value.message));
    copy.name = value.name;
    copy.stack = value.stack ? redactCredentials(value.stack) : undefined;
    return copy as T;
  }
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, depth + 1)) as T;
  // Class instances (a request, a socket) are left to their pino serializers.
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v, depth + 1);
  return out as T;
}

/**
 * The Redis URL as it may appear in a log line: the password replaced with `***`, the username kept (it names
 * the ACL user, which helps ops and is not a secret). Handles the password-only form `redis://:secret@host`.
 */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    // Not parseable as a URL: blank out anything between "://" and "@" rather than risk leaking it.
    return url.replace(/(\/\/)[^/@]*@/g, '$1***@');
  }
}

/** Removes the URL's password from a free-form message (driver errors sometimes echo connection strings). */
export function scrubSecret(text: string, url: string): string {
  let password = '';
  try {
    password = decodeURIComponent(new URL(url).password);
  } catch {
    return text;
  }
  return password.length >= 3 ? text.split(password).join('***') : text;
}
