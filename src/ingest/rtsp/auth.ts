import { createHash, randomBytes } from 'node:crypto';

/**
 * RTSP authentication as IP cameras do it: HTTP Basic, and Digest (RFC 2617, RFC 7616) with MD5 or MD5-sess,
 * with qop=auth (Hikvision, Uniview) or without qop (Dahua firmwares, GStreamer). Credentials come from the
 * camera URL's userinfo; nothing here logs them, and `stripCredentials` gives the URL that goes on the wire
 * and into logs.
 */

export interface Credentials {
  username: string;
  password: string;
}

export type Challenge =
  | { scheme: 'basic'; realm: string }
  | { scheme: 'digest'; realm: string; nonce: string; qop?: 'auth'; opaque?: string; algorithm: 'MD5' | 'MD5-sess'; stale: boolean };

/** The URL's userinfo, percent-decoded; undefined when it has none. */
export function credentialsFromUrl(url: string): Credentials | undefined {
  const u = new URL(url);
  if (!u.username && !u.password) return undefined;
  return { username: safeDecode(u.username), password: safeDecode(u.password) };
}

/** The URL without userinfo: what requests carry and what may be logged. */
export function stripCredentials(url: string): string {
  const u = new URL(url);
  u.username = '';
  u.password = '';
  return u.toString();
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * The challenges of a 401's WWW-Authenticate headers that this client can answer, strongest first (Digest
 * before Basic: a camera that offers both should not get the password in the clear).
 */
export function parseChallenges(values: readonly string[]): Challenge[] {
  const out: Challenge[] = [];
  for (const v of values) {
    const m = /^\s*(\w+)\s*(.*)$/s.exec(v);
    if (!m) continue;
    const scheme = m[1]!.toLowerCase();
    const params = parseAuthParams(m[2]!);
    const realm = params.get('realm') ?? '';
    if (scheme === 'basic') out.push({ scheme: 'basic', realm });
    else if (scheme === 'digest') {
      const nonce = params.get('nonce');
      const algorithm = (params.get('algorithm') ?? 'MD5').toUpperCase();
      if (nonce === undefined || (algorithm !== 'MD5' && algorithm !== 'MD5-SESS')) continue;
      const qops = (params.get('qop') ?? '').split(',').map((q) => q.trim().toLowerCase());
      const opaque = params.get('opaque');
      out.push({
        scheme: 'digest',
        realm,
        nonce,
        ...(qops.includes('auth') ? { qop: 'auth' as const } : {}),
        ...(opaque !== undefined ? { opaque } : {}),
        algorithm: algorithm === 'MD5' ? 'MD5' : 'MD5-sess',
        stale: params.get('stale')?.toLowerCase() === 'true',
      });
    }
  }
  return out.sort((a, b) => (a.scheme === b.scheme ? 0 : a.scheme === 'digest' ? -1 : 1));
}

/** `key=value` and `key="quoted, value"` pairs, keys lower-cased. */
export function parseAuthParams(text: string): Map<string, string> {
  const params = new Map<string, string>();
  const re = /([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g;
  for (const m of text.matchAll(re)) params.set(m[1]!.toLowerCase(), m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? ''));
  return params;
}

const md5 = (s: string): string => createHash('md5').update(s, 'utf8').digest('hex');

/**
 * Answers challenges for one connection: Digest keeps its nonce count across requests (qop=auth), so each
 * request gets a fresh nc as the RFC asks.
 */
export class Authenticator {
  private nc = 0;
  constructor(
    private readonly creds: Credentials,
    private challenge: Challenge,
    private readonly cnonce: () => string = () => randomBytes(8).toString('hex'),
  ) {}

  /** A later 401 (stale nonce) replaces the challenge. */
  update(challenge: Challenge): void {
    this.challenge = challenge;
    this.nc = 0;
  }

  get scheme(): Challenge['scheme'] {
    return this.challenge.scheme;
  }

  header(method: string, uri: string): string {
    const c = this.challenge;
    if (c.scheme === 'basic') return `Basic ${Buffer.from(`${this.creds.username}:${this.creds.password}`, 'utf8').toString('base64')}`;
    this.nc++;
    return digestAuthorization(this.creds, c, method, uri, this.nc, this.cnonce());
  }
}

/** The Authorization header for one Digest request (exported for the RFC 2617 worked example). */
export function digestAuthorization(creds: Credentials, c: Extract<Challenge, { scheme: 'digest' }>, method: string, uri: string, nc: number, cnonce: string): string {
  const ncText = nc.toString(16).padStart(8, '0');
  let ha1 = md5(`${creds.username}:${c.realm}:${creds.password}`);
  if (c.algorithm === 'MD5-sess') ha1 = md5(`${ha1}:${c.nonce}:${cnonce}`);
  const ha2 = md5(`${method}:${uri}`);
  const response = c.qop ? md5(`${ha1}:${c.nonce}:${ncText}:${cnonce}:${c.qop}:${ha2}`) : md5(`${ha1}:${c.nonce}:${ha2}`);
  const q = (s: string): string => `"${s.replace(/(["\\])/g, '\\$1')}"`;
  const parts = [`username=${q(creds.username)}`, `realm=${q(c.realm)}`, `nonce=${q(c.nonce)}`, `uri=${q(uri)}`, `response=${q(response)}`];
  if (c.algorithm === 'MD5-sess') parts.push('algorithm=MD5-sess');
  if (c.qop || c.algorithm === 'MD5-sess') parts.push(`cnonce=${q(cnonce)}`);
  if (c.qop) parts.push(`qop=${c.qop}`, `nc=${ncText}`);
  if (c.opaque !== undefined) parts.push(`opaque=${q(c.opaque)}`);
  return `Digest ${parts.join(', ')}`;
}
