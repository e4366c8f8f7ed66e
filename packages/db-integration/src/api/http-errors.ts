/**
 * The REST API's error bodies: `{"error": {code, message, field?, problem?, expected?}}`. Every 4xx names where the
 * problem is (`field`: `body.results.0.batch_size`, `querystring.days`, `header.host`), what is wrong with the value
 * (`problem`) and what to send instead (`expected`); `message` joins the three for people reading logs.
 */
import type { z } from 'zod';

export interface ErrorDetails {
  field: string;
  problem: string;
  expected: string;
}

export interface ErrorBody {
  error: { code: string; message: string } & Partial<ErrorDetails>;
}

export const messageOf = (d: ErrorDetails): string => `${d.field}: ${d.problem}; send ${d.expected}`;

/** A refusal with its status, stable code and details; the error handler sends it as it is. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    readonly details: ErrorDetails,
  ) {
    super(messageOf(details));
  }

  override get name(): string {
    return 'HttpError';
  }

  body(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...this.details } };
  }
}

const bound = (origin: string | undefined, value: unknown, inclusive: boolean | undefined, dir: 'most' | 'least'): string => {
  const n = String(value);
  if (origin === 'string') {
    return `a string of at ${dir} ${n} characters`;
  }
  if (origin === 'array' || origin === 'set') {
    return `at ${dir} ${n} items`;
  }
  const op = dir === 'most' ? (inclusive === false ? '<' : '<=') : inclusive === false ? '>' : '>=';
  return `a number ${op} ${n}`;
};

/** Field, problem and what to send, from one zod issue; `root` is `body`, `querystring` or `params`. */
export function describeIssue(issue: z.core.$ZodIssue, root: string): ErrorDetails {
  const field = [root, ...issue.path.map(String)].join('.');
  switch (issue.code) {
    case 'invalid_type':
      return { field, problem: issue.input === undefined ? 'missing' : `expected ${issue.expected}, got ${describeValue(issue.input)}`, expected: `a ${issue.expected}` };
    case 'too_big':
      return { field, problem: `too large (${describeValue(issue.input)})`, expected: bound(issue.origin, issue.maximum, issue.inclusive, 'most') };
    case 'too_small':
      return { field, problem: `too small (${describeValue(issue.input)})`, expected: bound(issue.origin, issue.minimum, issue.inclusive, 'least') };
    case 'invalid_value':
      return { field, problem: `${describeValue(issue.input)} is not allowed`, expected: `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}` };
    case 'unrecognized_keys':
      return { field, problem: `unknown field(s) ${issue.keys.join(', ')}`, expected: 'only the fields documented in GET /openapi.json (remove these)' };
    case 'invalid_format':
      return { field, problem: `${describeValue(issue.input)} is not a valid ${issue.format}`, expected: issue.format === 'datetime' ? 'an ISO 8601 time with offset, e.g. 2026-01-02T03:04:05Z' : `a ${issue.format}` };
    case 'not_multiple_of':
      return { field, problem: `${describeValue(issue.input)} is not a multiple of ${String(issue.divisor)}`, expected: `a multiple of ${String(issue.divisor)}` };
    default: {
      const expected = (issue as { params?: { expected?: string } }).params?.expected ?? 'a value as documented in GET /openapi.json';
      return { field, problem: issue.message, expected };
    }
  }
}

/** A short rendering of a caller's value for a message (never the whole of a large one). */
export function describeValue(value: unknown): string {
  if (value === undefined) {
    return 'nothing';
  }
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
  }
  return Array.isArray(value) ? `an array of ${value.length}` : 'an object';
}

/** fastify's own refusals, in the same shape. */
const FASTIFY: Record<string, (message: string) => ErrorDetails> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () => ({ field: 'header.content-type', problem: 'unsupported media type', expected: 'Content-Type: application/json' }),
  FST_ERR_CTP_BODY_TOO_LARGE: () => ({ field: 'body', problem: 'larger than the body limit', expected: 'a smaller body: split the batch into several requests (the limit is in GET /openapi.json)' }),
  FST_ERR_CTP_EMPTY_JSON_BODY: () => ({ field: 'body', problem: 'empty, but Content-Type is application/json', expected: 'a JSON body' }),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () => ({ field: 'header.content-length', problem: 'does not match the body', expected: 'the body length in bytes' }),
  FST_ERR_CTP_INVALID_JSON_BODY: (m) => ({ field: 'body', problem: `not valid JSON (${m})`, expected: 'a JSON document' }),
};

/** Details of a fastify or JSON-parse error with a 4xx status. */
export function fastifyDetails(code: string | undefined, message: string): ErrorDetails {
  const known = code === undefined ? undefined : FASTIFY[code];
  if (known !== undefined) {
    return known(message);
  }
  if (/JSON|Unexpected|position/i.test(message)) {
    return { field: 'body', problem: `not valid JSON (${message})`, expected: 'a JSON document' };
  }
  return { field: 'request', problem: message, expected: 'a request as documented in GET /openapi.json' };
}
