const CREDENTIALS_IN_URL = /([a-z][a-z0-9+.-]*:\/\/)([^\s/@:]*)(?::[^\s/@]*)?@/gi;

/** Replaces `user:pass@` in any URL inside `text` with `***@`, so credentials never reach a log or an API. */
export function redactCredentials(text: string): string {
  return text.replace(CREDENTIALS_IN_URL, '$1***@');
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
