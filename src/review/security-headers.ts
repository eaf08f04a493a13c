import type { FastifyInstance } from 'fastify';

/**
 * Headers on every answer of the review server, pages and API alike: no MIME sniffing (an uploaded-looking
 * JSON must never run as script), no framing (clickjacking a "dispatch" button), no referrer. API JSON is
 * never cached (it carries names, events and the audit log; a shared console's browser cache must not keep
 * it) and gets a policy that lets it do nothing if opened as a page. The UI plugin and /docs set their own
 * content security policy on top (their hooks run after this root one).
 */
const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export function addSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('content-security-policy', API_CSP);
    const type = String(reply.getHeader('content-type') ?? '');
    if (request.url.startsWith('/api/') && (type.startsWith('application/json') || type === '')) reply.header('cache-control', 'no-store');
    return payload;
  });
}

/**
 * Swagger UI's own policy (it hashes its inline script and style) made as strict as the UI's: no framing,
 * nothing from other hosts (its default allows `https:` fonts and styles and the swagger.io validator), no
 * forced https upgrade (the console may be plain http on a LAN), forms and fetches to this origin only.
 */
export function docsCsp(header: string): string {
  return `${header
    .replace(/frame-ancestors [^;]*;/, "frame-ancestors 'none';")
    .replace(/\s*upgrade-insecure-requests;?/, '')
    .replace(/ https:/g, '')
    .replace(/ validator\.swagger\.io/g, '')
    .replace(/base-uri [^;]*;/, "base-uri 'none';")
    .trim()} connect-src 'self'; form-action 'self'`;
}
