/**
 * Route schemas written once in zod: fastify validates requests with the zod schema itself (defaults, refinements
 * and all), and @fastify/swagger documents the JSON Schema converted from it.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';

const zodOf = new WeakMap<object, z.ZodType>();

/** The JSON Schema of `schema`, remembered so the validator compiler can find the zod original. */
export function schemaOf(schema: z.ZodType): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { target: 'draft-7', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  delete json.$schema; // fastify's Ajv would try to resolve the meta-schema URL
  zodOf.set(json, schema);
  return json;
}

/** Makes fastify validate every part (body, querystring, params) with the zod schema it was declared from. */
export function useZodValidation(app: FastifyInstance): void {
  app.setValidatorCompiler(({ schema }) => {
    const zod = zodOf.get(schema);
    if (zod === undefined) {
      return () => ({ value: undefined });
    }
    return (data: unknown) => {
      const result = zod.safeParse(data);
      if (result.success) {
        return { value: result.data };
      }
      const issue = result.error.issues[0];
      const where = issue === undefined || issue.path.length === 0 ? '' : `${issue.path.join('.')}: `;
      return { error: new Error(`${where}${issue?.message ?? 'invalid'}`) };
    };
  });
}
