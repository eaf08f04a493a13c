import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import type { UserStore, User } from '../store/user-store.js';
import { hasRole, type Role } from '../store/status.js';

export const SESSION_COOKIE = 'patrol_session';

export interface CookiePolicy {
  /**
   * `'auto'`: Secure when the request came over https (directly, or via a proxy with trustProxy), so
   * plain-http access on localhost still works; `true` always; `false` never (not recommended).
   */
  secure: boolean | 'auto';
  /** Session lifetime from login. */
  ttlMs: number;
  /** A session unused this long ends (default 30 min). */
  idleMs?: number;
}

/**
 * Session cookie → user, and the role gate every API route uses. The user of a request lives in a
 * WeakMap owned by this instance (no request decoration, no global state).
 */
export class SessionAuth {
  private readonly users = new WeakMap<FastifyRequest, User>();

  constructor(
    readonly store: UserStore,
    readonly cookie: CookiePolicy,
  ) {}

  /**
   * The session user for a cookie value (also used by the WebSocket upgrade, outside fastify's hooks).
   * `touch: false` for background re-checks, which must not count as activity.
   */
  userForToken(token: string | undefined, touch = true): User | null {
    return this.store.sessionUser(token, { idleMs: this.cookie.idleMs, touch });
  }

  /** The authenticated user of a request that passed `require()`. */
  user(request: FastifyRequest): User {
    const u = this.users.get(request);
    if (!u) throw new Error('SessionAuth.user() called on a route without require()');
    return u;
  }

  /** onRequest hook: 401 without a valid session, 403 when the role is below `min`. */
  require(min: Role): onRequestHookHandler {
    return async (request: FastifyRequest, reply: FastifyReply) => {
      const user = this.userForToken(request.cookies[SESSION_COOKIE]);
      if (!user) {
        return reply.code(401).send({ error: 'unauthorized', message: 'log in first' });
      }
      if (!hasRole(user.role, min)) {
        return reply.code(403).send({ error: 'forbidden', message: `this needs the ${min} role; you are ${user.role}` });
      }
      this.users.set(request, user);
    };
  }

  setSessionCookie(reply: FastifyReply, token: string, expiresAt: number): void {
    reply.setCookie(SESSION_COOKIE, token, {
      path: '/',
      httpOnly: true,
      sameSite: 'strict',
      secure: this.cookie.secure,
      expires: new Date(expiresAt),
    });
  }

  clearSessionCookie(reply: FastifyReply): void {
    reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'strict', secure: this.cookie.secure });
  }
}
