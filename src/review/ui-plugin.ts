import type { FastifyPluginAsync } from 'fastify';
import fastifyStatic from '@fastify/static';
import { fileURLToPath } from 'node:url';

export const UI_DIR = fileURLToPath(new URL('./ui/', import.meta.url));

/**
 * Everything the browser may load comes from this server: no CDN, no inline script. The policy also
 * keeps a stolen page from being framed (clickjacking a "dispatch" button).
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self'",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

/** The web UI: static HTML, CSS and ES modules; no build step. */
export const uiPlugin: FastifyPluginAsync<{ root?: string }> = async (app, opts) => {
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('content-security-policy', CSP);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-frame-options', 'DENY');
    return payload;
  });
  await app.register(fastifyStatic, {
    root: opts.root ?? UI_DIR,
    prefix: '/',
    index: ['index.html'],
    // Files change with deployments; let the browser revalidate (ETag) instead of trusting a stale copy.
    cacheControl: true,
    maxAge: 0,
    schemaHide: true,
  });
};
