// JSON over fetch, with the session cookie (HttpOnly: the page never sees it).

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code;
  }
}

export async function api(path, { method = 'GET', body } = {}) {
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: body !== undefined ? { 'content-type': 'application/json' } : {},
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  if (res.status === 204) return null;
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (!res.ok) {
    if (res.status === 401 && path !== '/api/login') window.dispatchEvent(new CustomEvent('patrol:unauthorized'));
    throw new ApiError(res.status, data?.error, data?.message);
  }
  return data;
}

export const mediaUrl = (id, name) => `/api/events/${encodeURIComponent(id)}/media/${name}`;

/** Query string from an object; arrays repeat the key. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    for (const item of [v].flat()) q.append(k, String(item));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}
