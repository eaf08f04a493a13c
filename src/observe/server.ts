import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { TimeoutError, withTimeout } from '../timeout.js';

export interface ReadyCheck {
  ok: boolean;
  detail?: string;
}

/** Named readiness checks; the process is ready when every one is ok. */
export type ReadyChecks = () => Promise<Record<string, ReadyCheck>> | Record<string, ReadyCheck>;

export interface ObserveServerOptions {
  host: string;
  port: number;
  registry: Registry;
  ready: ReadyChecks;
  /** Checks slower than this count as failed. Default 2 s. */
  checkTimeoutMs?: number;
}

export interface ObserveServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * A small HTTP server for Prometheus and orchestrators, apart from the review API (own port, no auth, no
 * business data):
 *   GET /metrics  Prometheus text format
 *   GET /healthz  200 while the process runs its event loop (liveness: restart me if this fails)
 *   GET /readyz   200 when every check passes, else 503; JSON with each check either way (readiness)
 */
export async function startObserveServer(opts: ObserveServerOptions): Promise<ObserveServer> {
  const timeoutMs = opts.checkTimeoutMs ?? 2_000;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const send = (status: number, type: string, body: string): void => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (path === '/healthz') return send(200, 'application/json', '{"status":"ok"}\n');
    if (path === '/metrics') {
      opts.registry.metrics().then(
        (text) => send(200, opts.registry.contentType, text),
        (err: unknown) => send(500, 'text/plain', `metrics failed: ${err instanceof Error ? err.message : String(err)}\n`),
      );
      return;
    }
    if (path === '/readyz') {
      withTimeout(Promise.resolve().then(opts.ready), timeoutMs, 'readiness checks')
        .catch((err: unknown) => {
          if (err instanceof TimeoutError) return { checks: { ok: false, detail: `readiness checks took over ${timeoutMs} ms` } };
          throw err;
        })
        .then(
          (checks) => {
            const ready = Object.values(checks).every((c) => c.ok);
            send(ready ? 200 : 503, 'application/json', `${JSON.stringify({ status: ready ? 'ready' : 'not ready', checks })}\n`);
          },
          (err: unknown) => send(503, 'application/json', `${JSON.stringify({ status: 'not ready', error: err instanceof Error ? err.message : String(err) })}\n`),
        );
      return;
    }
    send(404, 'text/plain', 'not found: try /metrics, /healthz or /readyz\n');
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host === '0.0.0.0' ? '127.0.0.1' : opts.host;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
