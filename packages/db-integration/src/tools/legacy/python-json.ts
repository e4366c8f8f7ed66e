/**
 * JSON as Python's `json.dump` writes it: `NaN`, `Infinity` and `-Infinity` appear as bare tokens (allow_nan is
 * its default). They become `NonFinite` markers, so the importer can store NULL for the metric and say which field
 * held which token, instead of refusing the file or inventing a number.
 */
import { DbError, DbErrorCode } from '../../errors';

/** A Python non-finite number found in a legacy file. */
export class NonFinite {
  constructor(readonly token: 'NaN' | 'Infinity' | '-Infinity') {}

  toJSON(): string {
    return this.token;
  }
}

const MARK = '\u0000bp-non-finite:';

/** Replaces bare NaN/Infinity/-Infinity outside strings with marked strings (one pass, escapes respected). */
function markNonFinite(text: string): string {
  let out = '';
  let from = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') {
        i++;
      } else if (c === '"') {
        inString = false;
      }
      continue;
    }
    if (c === '"') {
      inString = true;
      continue;
    }
    const token = text.startsWith('NaN', i) ? 'NaN' : text.startsWith('-Infinity', i) ? '-Infinity' : text.startsWith('Infinity', i) ? 'Infinity' : undefined;
    if (token !== undefined) {
      out += `${text.slice(from, i)}"\\u0000bp-non-finite:${token}"`; // JSON escape of MARK: the parser decodes it to MARK
      i += token.length - 1;
      from = i + 1;
    }
  }
  return out + text.slice(from);
}

/** Parses `text`, accepting Python's non-finite tokens. @throws DbError E_IMPORT_FORMAT */
export function parsePythonJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    if (!/NaN|Infinity/.test(text)) {
      throw new DbError(DbErrorCode.ImportFormat, `not valid JSON: ${(error as Error).message}`);
    }
  }
  try {
    return JSON.parse(markNonFinite(text), (_key, value: unknown) =>
      typeof value === 'string' && value.startsWith(MARK) ? new NonFinite(value.slice(MARK.length) as NonFinite['token']) : value,
    ) as unknown;
  } catch (error) {
    throw new DbError(DbErrorCode.ImportFormat, `not valid JSON: ${(error as Error).message}`);
  }
}
