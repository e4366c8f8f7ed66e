/**
 * What `/query` accepts is said in one place (`ALLOWED_STATEMENTS`): the refusal message, the REST 400 body's
 * `expected` and the README must all carry those exact words, so they cannot disagree again.
 */
import { readFileSync } from 'node:fs';

import { ALLOWED_STATEMENTS, assertSqlText } from '@browser-pool/db-integration';
import { describe, expect, it } from 'vitest';

describe('the /query allowed-statements message', () => {
  it('is the refusal message and is quoted by the README in the error table and the REST section', () => {
    expect(ALLOWED_STATEMENTS).toBe('one SELECT statement (or WITH, FROM, VALUES, TABLE, DESCRIBE, SHOW, SUMMARIZE, or EXPLAIN of a SELECT)');
    expect(() => assertSqlText('')).toThrow(`sql must be a non-empty string; send ${ALLOWED_STATEMENTS}`);
    // the README wraps lines: compare with whitespace collapsed
    const readme = readFileSync('README.md', 'utf8').replace(/\s+/g, ' ');
    const quoted = readme.split(`send ${ALLOWED_STATEMENTS}`).length - 1;
    expect(quoted).toBeGreaterThanOrEqual(2);
  });
});
