import { describe, expect, it } from 'vitest';

import { PageServer } from './page-server';

describe('page server addresses', () => {
  it('refuses a wildcard bind without an advertised host: pages cannot be sent to 0.0.0.0', () => {
    for (const host of ['0.0.0.0', '::']) {
      expect(() => new PageServer('s', { host })).toThrow(expect.objectContaining({ code: 'E_INVALID_OPTIONS', message: expect.stringMatching(/harness\.advertisedHost/) }));
    }
  });

  it('puts the advertised host in page and file URLs, with the bound port', async () => {
    const server = new PageServer('secret', { host: '127.0.0.1', advertisedHost: 'orchestrator.example' });
    await server.listen();
    try {
      const port = (server.server.address() as { port: number }).port;
      expect(server.origin).toBe(`http://orchestrator.example:${port}`);
      expect(server.pageUrl(new URLSearchParams({ conn: 'c' }))).toBe(`http://orchestrator.example:${port}/secret/pages/worker.html?conn=c`);
      expect(server.serveFile('/tmp/model.onnx')).toMatch(new RegExp(`^http://orchestrator\\.example:${port}/secret/files/[0-9a-f-]+/model\\.onnx$`));
    } finally {
      await server.close();
    }
    const v6 = new PageServer('secret', { host: '127.0.0.1', advertisedHost: 'fd00::1' });
    await v6.listen();
    try {
      expect(v6.origin).toMatch(/^http:\/\/\[fd00::1\]:\d+$/);
    } finally {
      await v6.close();
    }
  });
});
