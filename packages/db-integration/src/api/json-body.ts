/**
 * The JSON body parser of the REST API: fastify's own (prototype-poisoning checks kept), behind a depth scan of the
 * raw text. Deeply nested JSON parses fine but overflows the stack of every recursive consumer after it
 * (`JSON.stringify`, zod, content keys), so nesting is refused before anything parses it.
 */
import type { FastifyInstance } from 'fastify';

import { HttpError } from './http-errors';

/** Deepest nesting of arrays and objects accepted in a request body. */
export const MAX_BODY_DEPTH = 32;

/** The deepest nesting in `text`, stopping early once past `limit` (brackets inside strings do not count). */
export function nestingDepth(text: string, limit = Infinity): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) {
        i++; // the escaped character
      } else if (c === 0x22) {
        inString = false;
      }
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) {
          return deepest;
        }
      }
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return deepest;
}

export function useJsonBodyParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (nestingDepth(text, MAX_BODY_DEPTH) > MAX_BODY_DEPTH) {
      done(new HttpError(400, 'E_BAD_REQUEST', { field: 'body', problem: `JSON nested deeper than ${MAX_BODY_DEPTH} levels`, expected: `at most ${MAX_BODY_DEPTH} levels of arrays and objects (metrics and metadata: 8)` }), undefined);
      return;
    }
    void parse(request, text, done);
  });
}
