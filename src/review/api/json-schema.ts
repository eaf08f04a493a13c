import { z } from 'zod';

/**
 * A zod schema as the JSON Schema fastify validates with and @fastify/swagger publishes: one definition
 * for types, validation and the OpenAPI document. Draft-07 is what fastify's Ajv speaks.
 */
export function jsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'input'): Record<string, unknown> {
  const out = z.toJSONSchema(schema, { target: 'draft-7', io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete out.$schema;
  return out;
}

/** The error body every route answers with. */
export const ErrorBody = z.object({
  error: z.string().describe('machine-readable code, e.g. unauthorized, forbidden, invalid_transition'),
  message: z.string().describe('a sentence for a person'),
});

/**
 * A route's response schemas: the success bodies plus the error body for each error status. Typed
 * loosely on purpose, so fastify does not narrow `reply.code()` to the success statuses.
 */
export function responses(ok: Record<number, unknown>, ...errorCodes: number[]): Record<string, unknown> {
  return { ...ok, ...Object.fromEntries(errorCodes.map((c) => [c, jsonSchema(ErrorBody, 'output')])) };
}
