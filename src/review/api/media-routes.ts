import type { FastifyPluginAsync } from 'fastify';
import { extname } from 'node:path';
import { Readable } from 'node:stream';
import { z } from 'zod';
import { EVIDENCE_FILES } from '../../contracts/event.js';
import type { EventStore } from '../store/event-store.js';
import type { SessionAuth } from '../auth/session-auth.js';
import { resolveEvidencePath } from '../media/resolve-path.js';
import { parseRange } from '../media/range.js';
import { VerifiedFiles } from '../media/verified-file.js';
import { jsonSchema, responses } from './json-schema.js';

const MediaParams = z.object({ id: z.string().min(1).max(200), name: z.enum(EVIDENCE_FILES) }).strict();

const CONTENT_TYPES: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.mp4': 'video/mp4',
  '.m4v': 'video/mp4',
  '.ts': 'video/mp2t',
};

export interface MediaRoutesOptions {
  auth: SessionAuth;
  events: EventStore;
  /** realpath of the storage dir. */
  storageRoot: string;
}

/**
 * Evidence files. `:name` is a field of the event's evidence record, never a path, so a URL cannot name
 * a file the event did not record; the recorded path is then checked (resolve-path.ts) and the file's
 * SHA-256 compared with the one recorded before a byte is sent.
 */
export const mediaRoutes: FastifyPluginAsync<MediaRoutesOptions> = async (app, { auth, events, storageRoot }) => {
  const files = new VerifiedFiles();

  app.get(
    '/api/events/:id/media/:name',
    {
      onRequest: auth.require('operator'),
      schema: {
        tags: ['media'],
        summary: 'An evidence file (snapshot, persistence proof, clip), SHA-256 verified, with HTTP range support',
        params: jsonSchema(MediaParams),
        response: responses({}, 400, 401, 403, 404, 409, 416),
      },
    },
    async (request, reply) => {
      const { id, name } = request.params as z.infer<typeof MediaParams>;
      const event = events.get(id);
      if (!event) return reply.code(404).send({ error: 'not_found', message: `no event ${id}` });
      const recorded = event.evidence[name];
      if (!recorded) return reply.code(404).send({ error: 'not_found', message: `event ${id} has no ${name}` });

      const resolved = await resolveEvidencePath(storageRoot, recorded);
      if (!resolved.ok) {
        if (resolved.code === 'unsafe_path') request.log.error({ eventId: id, name, recorded }, `review: ${resolved.message}`);
        return reply.code(resolved.code === 'not_found' ? 404 : 400).send({ error: resolved.code, message: `${name} of event ${id}: ${resolved.message}` });
      }
      const expected = event.evidence.sha256[recorded];
      if (!expected) {
        return reply
          .code(409)
          .send({ error: 'evidence_unverifiable', message: `${name} of event ${id} has no SHA-256 recorded, so it cannot be shown as evidence` });
      }
      const verified = await files.open(resolved.path, expected);
      if (!verified.ok) {
        request.log.error({ eventId: id, name, recorded, expected, actual: verified.actual }, 'review: evidence file does not match its recorded SHA-256');
        return reply.code(409).send({
          error: 'evidence_tampered',
          message: `${name} of event ${id} does not match the SHA-256 recorded when it was written: the file was changed or replaced, so it is not served. Keep the file for investigation.`,
        });
      }
      const { handle, size } = verified.file;
      const range = parseRange(request.headers.range, size);
      if (range.kind === 'unsatisfiable') {
        await handle.close();
        return reply.code(416).header('content-range', `bytes */${size}`).send({ error: 'range_not_satisfiable', message: `the file has ${size} bytes` });
      }
      reply
        .header('content-type', CONTENT_TYPES[extname(recorded).toLowerCase()] ?? 'application/octet-stream')
        .header('accept-ranges', 'bytes')
        .header('etag', `"${expected}"`)
        // Evidence never changes under one name without failing verification; still private to this user.
        .header('cache-control', 'private, max-age=3600')
        .header('x-content-type-options', 'nosniff');
      // HEAD: headers only. An empty stream (not an empty body) keeps our content-length; the file is not read.
      if (request.method === 'HEAD') {
        await handle.close();
        return reply.header('content-length', size).send(Readable.from([]));
      }
      if (request.headers['if-none-match'] === `"${expected}"`) {
        await handle.close();
        return reply.code(304).send();
      }
      if (range.kind === 'partial') {
        return reply
          .code(206)
          .header('content-range', `bytes ${range.start}-${range.end}/${size}`)
          .header('content-length', range.end - range.start + 1)
          .send(handle.createReadStream({ start: range.start, end: range.end }));
      }
      if (size === 0) {
        await handle.close();
        return reply.header('content-length', 0).send('');
      }
      return reply.header('content-length', size).send(handle.createReadStream({ start: 0 }));
    },
  );
};
