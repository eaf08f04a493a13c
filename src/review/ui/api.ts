// JSON over fetch, with the session cookie (HttpOnly: the page never sees it).

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string | undefined,
  ) {
    super(message || code || `HTTP ${status}`);
  }
}

type ErrorBody = { error?: string; message?: string };

export interface ApiOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
}

/** The caller names the response type: it comes from the schemas in types.ts, the server's own. */
export async function api<T = unknown>(path: string, { method = 'GET', body }: ApiOptions = {}): Promise<T> {
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: body !== undefined ? { 'content-type': 'application/json' } : {},
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  if (res.status === 204) return null as T;
  let data: ErrorBody | null = null;
  try {
    data = (await res.json()) as ErrorBody;
  } catch {
    data = null;
  }
  if (!res.ok) {
    if (res.status === 401 && path !== '/api/login') window.dispatchEvent(new CustomEvent('patrol:unauthorized'));
    throw new ApiError(res.status, data?.error, data?.message);
  }
  return data as T;
}

export const mediaUrl = (id: string, name: string): string => `/api/events/${encodeURIComponent(id)}/media/${name}`;

type QueryValue = string | number | boolean | null | undefined | readonly (string | number)[];

/** Query string from an object; arrays repeat the key. */
export function query(params: Record<string, QueryValue>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    for (const item of [v].flat()) q.append(k, String(item));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** Status and code of a failed call, for messages; anything else thrown has neither. */
export function errorInfo(err: unknown): { status?: number; code?: string; message: string } {
  if (err instanceof ApiError) return { status: err.status, ...(err.code ? { code: err.code } : {}), message: err.message };
  return { message: err instanceof Error ? err.message : String(err) };
}
