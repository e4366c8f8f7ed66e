import { describe, expect, it } from 'vitest';

import { hostAllowed } from './host-check';
import { nestingDepth } from './json-body';

const bound = { address: '127.0.0.1', family: 'IPv4', port: 8765 };

describe('hostAllowed', () => {
  it('accepts loopback names and the bound address with the bound port, and configured names', () => {
    for (const h of ['127.0.0.1:8765', 'localhost:8765', '[::1]:8765', 'LocalHost:8765']) {
      expect(hostAllowed(h, bound, []), h).toBe(true);
    }
    expect(hostAllowed('api.lan:8765', bound, ['api.lan'])).toBe(true);
    expect(hostAllowed('api.lan', bound, ['api.lan:80'])).toBe(true);
    expect(hostAllowed('[fe80::1]:8765', { address: 'fe80::1', family: 'IPv6', port: 8765 }, [])).toBe(true);
  });

  it('refuses other names, other ports, missing and malformed hosts', () => {
    for (const h of [undefined, '', 'evil.example:8765', '127.0.0.1:8766', '127.0.0.1', 'localhost.evil:8765', 'a:b:c', '127.0.0.1:8765 ', 'api.lan:9']) {
      expect(hostAllowed(h, bound, ['api.lan']), String(h)).toBe(h === '127.0.0.1:8765 ');
    }
  });
});

describe('nestingDepth', () => {
  it('counts arrays and objects, not brackets inside strings', () => {
    expect(nestingDepth('{"a": [1, {"b": 2}]}')).toBe(3);
    expect(nestingDepth('{"s": "[[[[{{{{\\"]]]"}')).toBe(1);
    expect(nestingDepth('1')).toBe(0);
    expect(nestingDepth('['.repeat(100_000), 32)).toBe(33);
  });
});
