import { describe, expect, it } from 'vitest';

import type { Capabilities } from '../protocol';
import { crossCheckClaims } from './cross-check';

const caps = (userAgent: string): Capabilities => ({ userAgent }) as Capabilities;

describe('crossCheckClaims', () => {
  it('accepts a page whose user agent matches the launched browser and major version', () => {
    expect(() => crossCheckClaims('chromium', '156.0.8078.108', caps('Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/156.0.0.0 Safari/537.36'))).not.toThrow();
    expect(() => crossCheckClaims('firefox', '153.8.0', caps('Mozilla/5.0 (X11; Linux x86_64; rv:153.0) Gecko/20100101 Firefox/153.0'))).not.toThrow();
  });

  it('refuses a page that claims another browser or version, with E_PROTOCOL', () => {
    expect(() => crossCheckClaims('chromium', '156.0.8078.108', caps('Mozilla/5.0 Chrome/120.0.0.0'))).toThrow(
      expect.objectContaining({ code: 'E_PROTOCOL', message: expect.stringMatching(/claims to be chromium 120 .* launched chromium 156/) }),
    );
    expect(() => crossCheckClaims('firefox', '153.8.0', caps('Mozilla/5.0 HeadlessChrome/156.0.0.0'))).toThrow(expect.objectContaining({ code: 'E_PROTOCOL' }));
  });

  it('has nothing to check when the driver does not know the version', () => {
    expect(() => crossCheckClaims('chromium', 'unknown', caps('anything'))).not.toThrow();
  });
});
