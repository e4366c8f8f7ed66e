import { describe, expect, it } from 'vitest';

import { contentType, fileFor } from './files';
import { loopbackHostAllowed } from './host-check';

const files = { pagesDir: '/p', snapshotDir: '/s' };

describe('fileFor', () => {
  it('maps the page, assets and snapshot, and nothing else', () => {
    expect(fileFor(files, '/')).toBe('/p/dashboard.html');
    expect(fileFor(files, '/index.html')).toBe('/p/dashboard.html');
    expect(fileFor(files, '/assets/a.wasm')).toBe('/p/assets/a.wasm');
    expect(fileFor(files, '/snapshot/tables/models.csv')).toBe('/s/tables/models.csv');
    expect(fileFor(files, '/worker.html')).toBeUndefined();
    expect(fileFor(files, '/snapshot')).toBeUndefined();
  });

  it('refuses every way of climbing out', () => {
    for (const p of ['/snapshot/../../etc/passwd', '/assets/../worker.html', '/snapshot/..\\..\\x', '/snapshot/./manifest.json', '/snapshot/a\0b']) {
      expect(fileFor(files, p), p).toBeUndefined();
    }
  });

  it('serves wasm as application/wasm (instantiateStreaming needs it)', () => {
    expect(contentType('x.wasm')).toBe('application/wasm');
    expect(contentType('x.bin')).toBe('application/octet-stream');
  });
});

describe('loopbackHostAllowed', () => {
  it('accepts loopback names with the bound port only', () => {
    expect(loopbackHostAllowed('127.0.0.1:8766', 8766)).toBe(true);
    expect(loopbackHostAllowed('localhost:8766', 8766)).toBe(true);
    expect(loopbackHostAllowed('[::1]:8766', 8766)).toBe(true);
    expect(loopbackHostAllowed('127.0.0.1:8767', 8766)).toBe(false);
    expect(loopbackHostAllowed('evil.example:8766', 8766)).toBe(false);
    expect(loopbackHostAllowed('localhost.evil.example:8766', 8766)).toBe(false);
    expect(loopbackHostAllowed(undefined, 8766)).toBe(false);
    expect(loopbackHostAllowed('localhost', 80)).toBe(true);
  });
});
