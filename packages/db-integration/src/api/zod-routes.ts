/**
 * Route schemas written once in zod: fastify validates requests with the zod schema itself (defaults, refinements
 * and all), and @fastify/swagger documents the JSON Schema converted from it. A failed validation becomes an
 * `HttpError` naming the field, the problem and what to send.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';

import { describeIssue, HttpError } from './http-errors';

type Parse = (data: unknown) => { success: true; data: unknown } | { success: false; issue: z.core.$ZodIssue | undefined };

const parserOf = new WeakMap<object, Parse>();

const parseWith = (schema: z.ZodType): Parse => (data) => {
  // reportInput: the caller's value goes into the issue, so a message can say what was wrong with it
  const result = schema.safeParse(data, { reportInput: true });
  return result.success ? { success: true, data: result.data } : { success: false, issue: result.error.issues[0] };
};

/**
 * The JSON Schema of `schema` for the OpenAPI document, remembered so the validator compiler finds the parser:
 * `parse`, when given, validates instead of `schema` (a body accepted in two shapes).
 */
export function schemaOf(schema: z.ZodType, parse?: Parse): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { target: 'draft-7', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  delete json.$schema; // fastify's Ajv would try to resolve the meta-schema URL
  parserOf.set(json, parse ?? parseWith(schema));
  return json;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A body that is either one result (the old API's clients post one per request) or `{results: [...]}`. Each shape
 * is validated on its own, so an error path names the field as the caller wrote it (`batch_size`, not
 * `results.0.batch_size`); the handler always gets a batch.
 */
export function singleOrBatch(item: z.ZodType, batch: z.ZodType): Record<string, unknown> {
  const single = parseWith(item);
  const many = parseWith(batch);
  return schemaOf(z.union([batch, item]), (data) => {
    if (isObject(data) && 'results' in data) {
      return many(data);
    }
    const one = single(data);
    return one.success ? { success: true, data: { results: [one.data] } } : one;
  });
}

/** Makes fastify validate every part (body, querystring, params) with the zod schema it was declared from. */
export function useZodValidation(app: FastifyInstance): void {
  app.setValidatorCompiler(({ schema, httpPart }) => {
    const parse = parserOf.get(schema);
    if (parse === undefined) {
      return () => ({ value: undefined });
    }
    const root = httpPart ?? 'body';
    return (data: unknown) => {
      const result = parse(data);
      if (result.success) {
        return { value: result.data };
      }
      const details = result.issue === undefined ? { field: root, problem: 'invalid', expected: 'a value as documented in GET /openapi.json' } : describeIssue(result.issue, root);
      return { error: new HttpError(400, 'E_BAD_REQUEST', details) };
    };
  });
}
