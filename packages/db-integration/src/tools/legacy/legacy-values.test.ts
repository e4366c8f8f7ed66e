import { describe, expect, it } from 'vitest';

import { coerce, toIsoTime } from './fields';
import { NonFinite, parsePythonJson } from './python-json';

describe('toIsoTime', () => {
  it('reads Python, ISO, date-only and epoch times as UTC, keeping microseconds', () => {
    expect(toIsoTime('2024-05-06 07:08:09.123456')).toBe('2024-05-06T07:08:09.123456Z');
    expect(toIsoTime('2024-05-06T07:08:09')).toBe('2024-05-06T07:08:09Z');
    expect(toIsoTime('2024-05-06')).toBe('2024-05-06T00:00:00Z');
    expect(toIsoTime('2024-05-06T07:08:09+02:00')).toBe('2024-05-06T05:08:09.000Z');
    expect(toIsoTime(1_700_000_000)).toBe('2023-11-14T22:13:20.000Z');
    expect(toIsoTime(1_700_000_000_123)).toBe('2023-11-14T22:13:20.123Z');
    expect(toIsoTime('yesterday')).toBe('yesterday');
  });
});

describe('coerce', () => {
  it('turns strings into numbers and booleans only where the column wants them', () => {
    expect(coerce('throughput_items_per_s', '51.5')).toBe(51.5);
    expect(coerce('is_compatible', 'false')).toBe(false);
    expect(coerce('available', 1)).toBe(true);
    expect(coerce('model_name', 42)).toBe('42');
    expect(coerce('status', 3)).toBe(3);
  });
});

describe('parsePythonJson', () => {
  it('reads NaN and Infinity outside strings as NonFinite and leaves strings alone', () => {
    const v = parsePythonJson('{"a": NaN, "b": -Infinity, "c": "NaN Infinity", "d": [Infinity]}') as Record<string, unknown>;
    expect(v.a).toEqual(new NonFinite('NaN'));
    expect(v.b).toEqual(new NonFinite('-Infinity'));
    expect(v.c).toBe('NaN Infinity');
    expect(v.d).toEqual([new NonFinite('Infinity')]);
    expect(() => parsePythonJson('{"a": NaNx}')).toThrow(/not valid JSON/);
  });
});
