import type { FastifyPluginAsync } from 'fastify';
import fastifyStatic from '@fastify/static';
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ensureUiBundle, UI_BUNDLE_DIR, UI_PUBLIC_DIR } from './ui-build.js';

/**
 * Everything the browser may load comes from this server: no CDN, no inline script. The policy also
 * keeps a stolen page from being framed (clickjacking a "dispatch" button).
 */
const CSP = [
  "default-src 'self'",
  // jsmpeg decodes MPEG-1 in WebAssembly; compiling it needs this, and nothing else is relaxed.
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self'",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

/** The web UI: static HTML and CSS, and the script bundle esbuild makes from the TypeScript in ui/. */
export const uiPlugin: FastifyPluginAsync = async (app) => {
  await ensureUiBundle();
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('content-security-policy', CSP);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-frame-options', 'DENY');
    return payload;
  });
  // The live-view player (jsmpeg, MIT) comes from its npm package, served from this origin like the rest.
  // The package's exports map hides dist/; its browser build sits beside the CommonJS entry.
  const jsmpegPath = join(dirname(createRequire(import.meta.url).resolve('@cycjimmy/jsmpeg-player')), 'jsmpeg-player.umd.min.js');
  app.get('/vendor/jsmpeg.min.js', { schema: { hide: true } }, async (_request, reply) => {
    reply.type('application/javascript').header('cache-control', 'public, max-age=86400');
    return readFile(jsmpegPath);
  });
  await app.register(fastifyStatic, {
    // The page and its stylesheet first, then the bundle (app.js and its source map).
    root: [UI_PUBLIC_DIR, UI_BUNDLE_DIR],
    prefix: '/',
    index: ['index.html'],
    // Files change with deployments; let the browser revalidate (ETag) instead of trusting a stale copy.
    cacheControl: true,
    maxAge: 0,
    schemaHide: true,
  });
};
