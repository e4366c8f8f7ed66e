/**
 * `model.run(inputs, options)` options as untyped callers may send them, checked before admission. Unchecked, a
 * `timeoutMs` of NaN, Infinity or "5000" became page calls that "did not answer within NaN ms" at once; three of them
 * opened the connection's breaker and every later request, good ones included, failed with E_NO_CONNECTION.
 */
import { InvalidInputError } from '@browser-pool/browser-harness';

import type { HandleRunOptions } from './model-handle';

/** Longest deadline a timer can hold (2^31 - 1 ms, about 24.8 days); Node fires a longer one at once. */
export const MAX_TIMEOUT_MS = 2_147_483_647;

function names(model: string, option: string, value: unknown, known: readonly string[]): readonly string[] | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw new InvalidInputError(`"${model}": ${option} must be an array of output names, got ${describe(value)}`, { details: { option } });
  }
  const unknown = (value as string[]).filter((v) => !known.includes(v));
  if (unknown.length > 0) {
    throw new InvalidInputError(`"${model}": ${option} names ${unknown.map((u) => `"${u}"`).join(', ')}, which the model does not output; its outputs are ${known.join(', ')}`, {
      details: { option, unknown },
    });
  }
  return value as string[];
}

function describe(value: unknown): string {
  return value === null ? 'null' : typeof value === 'string' ? `the string "${value.slice(0, 40)}"` : typeof value === 'number' ? String(value) : Array.isArray(value) ? 'an array' : `${/^[aeiou]/.test(typeof value) ? 'an' : 'a'} ${typeof value}`;
}

/**
 * The options, checked: `timeoutMs` a finite number of milliseconds in [1, MAX_TIMEOUT_MS], `priority` a finite
 * number, `signal` an AbortSignal, `outputNames` and `keep` arrays of the model's output names, `copyHandles` a boolean.
 * @throws InvalidInputError naming the option, what it got and what it takes
 */
export function checkRunOptions(model: string, options: unknown, outputNames: readonly string[]): HandleRunOptions {
  if (options === undefined) {
    return {};
  }
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidInputError(`"${model}": run options must be an object such as { timeoutMs: 5000 }, got ${describe(options)}`, { details: { option: 'options' } });
  }
  const o = options as Record<string, unknown>;
  if (o.timeoutMs !== undefined && !(typeof o.timeoutMs === 'number' && Number.isFinite(o.timeoutMs) && o.timeoutMs >= 1 && o.timeoutMs <= MAX_TIMEOUT_MS)) {
    throw new InvalidInputError(`"${model}": timeoutMs must be a number of milliseconds from 1 to ${MAX_TIMEOUT_MS}, got ${describe(o.timeoutMs)}`, {
      details: { option: 'timeoutMs' },
    });
  }
  if (o.priority !== undefined && !(typeof o.priority === 'number' && Number.isFinite(o.priority))) {
    throw new InvalidInputError(`"${model}": priority must be a finite number (higher runs first), got ${describe(o.priority)}`, { details: { option: 'priority' } });
  }
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) {
    throw new InvalidInputError(`"${model}": signal must be an AbortSignal (new AbortController().signal), got ${describe(o.signal)}`, { details: { option: 'signal' } });
  }
  if (o.copyHandles !== undefined && typeof o.copyHandles !== 'boolean') {
    throw new InvalidInputError(`"${model}": copyHandles must be true or false, got ${describe(o.copyHandles)}`, { details: { option: 'copyHandles' } });
  }
  names(model, 'outputNames', o.outputNames, outputNames);
  names(model, 'keep', o.keep, outputNames);
  return o;
}
