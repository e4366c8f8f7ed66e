import { describe, expect, it } from 'vitest';

import {
  BackendUnavailableError,
  deserializeError,
  ErrorCode,
  InternalError,
  InvalidInputError,
  serializeError,
} from './errors';

describe('error codec', () => {
  it('rebuilds the same class, code, message and details on the other side', () => {
    const original = new BackendUnavailableError('webnn is unavailable', { details: { backend: 'webnn' } });
    const wire = JSON.parse(JSON.stringify(serializeError(original))) as ReturnType<typeof serializeError>;
    expect(wire).toMatchObject({ name: 'BackendUnavailableError', code: 'E_BACKEND_UNAVAILABLE' });
    const rebuilt = deserializeError(wire);
    expect(rebuilt).toBeInstanceOf(BackendUnavailableError);
    expect(rebuilt.code).toBe(ErrorCode.BackendUnavailable);
    expect(rebuilt.message).toBe('webnn is unavailable');
    expect(rebuilt.details).toMatchObject({ backend: 'webnn', remoteStack: original.stack });
  });

  it('turns foreign errors and thrown non-errors into E_INTERNAL', () => {
    expect(serializeError(new TypeError('boom'))).toMatchObject({ name: 'TypeError', code: 'E_INTERNAL', message: 'boom' });
    expect(serializeError('just a string')).toMatchObject({ code: 'E_INTERNAL', message: 'just a string' });
  });

  it('maps an unknown code to InternalError rather than failing', () => {
    expect(deserializeError({ name: 'X', code: 'X_CODE_FROM_A_NEWER_PAGE', message: 'm' })).toBeInstanceOf(InternalError);
  });

  it('names errors by their class', () => {
    expect(new InvalidInputError('x').name).toBe('InvalidInputError');
  });
});
