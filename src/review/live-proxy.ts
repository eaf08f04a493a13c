import { connect } from 'node:net';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { SESSION_COOKIE, type SessionAuth } from './auth/session-auth.js';
import { LiveViewError, type LiveView } from './live-view.js';

const LIVE_PATH = /^\/api\/cameras\/([A-Za-z0-9_-]{1,64})\/live$/;
/** Handshake headers passed upstream; the session cookie and everything else stay here. */
const FORWARDED = ['sec-websocket-key', 'sec-websocket-version', 'sec-websocket-protocol', 'sec-websocket-extensions'];

function refuse(socket: Duplex, status: number, text: string, error: string, message: string): void {
  const body = JSON.stringify({ error, message });
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/**
 * `GET /api/cameras/:id/live` as a WebSocket. fastify 5 has no WebSocket support of its own, so the
 * node server's `upgrade` event is handled here: the session cookie and the Origin are checked like
 * any API request, the camera's stream is started (or joined), and the connection is spliced to the
 * stream's loopback WebSocket server byte for byte, handshake included.
 */
export function attachLiveProxy(app: FastifyInstance, { auth, liveView }: { auth: SessionAuth; liveView: LiveView }): void {
  const sockets = new Set<Duplex>();
  app.addHook('preClose', async () => {
    for (const s of sockets) s.destroy();
    await liveView.close();
  });

  app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    void handleUpgrade(req, socket, head).catch((err: unknown) => {
      app.log.error({ err }, 'review: live view upgrade failed');
      socket.destroy();
    });
  });

  async function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    const path = (req.url ?? '').split('?')[0]!;
    const m = LIVE_PATH.exec(path);
    if (!m || (req.headers.upgrade ?? '').toLowerCase() !== 'websocket') return refuse(socket, 404, 'Not Found', 'not_found', 'no WebSocket here');
    const origin = req.headers.origin;
    // Browsers send cookies with cross-site WebSocket handshakes unless SameSite stops them; check Origin.
    if (origin !== undefined && !sameHost(origin, req.headers.host)) return refuse(socket, 403, 'Forbidden', 'cross_origin', 'requests from other origins are refused');
    const token = app.parseCookie(req.headers.cookie ?? '')[SESSION_COOKIE];
    const user = auth.userForToken(token);
    if (!user) return refuse(socket, 401, 'Unauthorized', 'unauthorized', 'log in first');
    const cameraId = m[1]!;
    if (!liveView.has(cameraId)) return refuse(socket, 404, 'Not Found', 'not_found', `no camera ${cameraId} with live view`);

    let lease: { port: number; path: string; release: () => void };
    try {
      lease = await liveView.acquire(cameraId);
    } catch (err) {
      if (err instanceof LiveViewError) return refuse(socket, err.status, err.status === 404 ? 'Not Found' : err.status === 504 ? 'Gateway Timeout' : 'Bad Gateway', 'live_view_failed', err.message);
      throw err;
    }
    if (socket.destroyed) return lease.release();
    app.log.info({ cameraId, username: user.username }, 'review: live viewer joined');

    const upstream = connect(lease.port, '127.0.0.1');
    sockets.add(socket);
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      sockets.delete(socket);
      socket.destroy();
      upstream.destroy();
      lease.release();
      app.log.info({ cameraId, username: user.username }, 'review: live viewer left');
    };
    socket.on('close', close);
    socket.on('error', close);
    upstream.on('close', close);
    upstream.on('error', close);
    upstream.on('connect', () => {
      const headers = [`GET ${lease.path} HTTP/1.1`, `Host: 127.0.0.1:${lease.port}`, 'Upgrade: websocket', 'Connection: Upgrade'];
      for (const h of FORWARDED) {
        const v = req.headers[h];
        if (typeof v === 'string') headers.push(`${h}: ${v}`);
      }
      upstream.write(`${headers.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) upstream.write(head);
      socket.pipe(upstream);
      upstream.pipe(socket);
    });
  }
}

function sameHost(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}
