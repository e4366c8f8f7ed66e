/**
 * DNS rebinding guard. A web page in the user's own browser can point a name it controls at 127.0.0.1 and then
 * call a loopback API as if it were its own origin; the only trace is the `Host` header, which still carries the
 * page's name. So a request is served only when its Host is this server's own address or loopback name with the
 * bound port, or a name the operator configured (`--allowed-host`).
 */
import type { AddressInfo } from 'node:net';

import type { FastifyInstance } from 'fastify';

import { HttpError } from './http-errors';

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/** `[::1]:8765` -> `{ name: '[::1]', port: 8765 }`; a Host without a port means the scheme's default (80). */
function splitHost(host: string): { name: string; port: number } | undefined {
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/i.exec(host.trim().toLowerCase());
  if (m === null) {
    return undefined;
  }
  return { name: m[1] ?? '', port: m[2] === undefined ? 80 : Number(m[2]) };
}

/** True when `host` (a Host header) names this server: bound address or loopback name with the bound port, or a configured name. */
export function hostAllowed(host: string | undefined, bound: AddressInfo, configured: readonly string[]): boolean {
  if (host === undefined || host === '') {
    return false;
  }
  const parsed = splitHost(host);
  if (parsed === undefined) {
    return false;
  }
  const boundName = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  for (const entry of configured) {
    const c = splitHost(entry);
    // a configured name without a port accepts it on the bound port
    const explicitPort = /^(\[[^\]]+\]|[^:]+):\d+$/.test(entry.trim());
    if (c !== undefined && c.name === parsed.name && parsed.port === (explicitPort ? c.port : bound.port)) {
      return true;
    }
  }
  return parsed.port === bound.port && (LOOPBACK_NAMES.includes(parsed.name) || parsed.name === boundName.toLowerCase());
}

/** Refuses, before anything else runs, every request whose Host is not this server (403 `E_HOST_NOT_ALLOWED`). */
export function useHostCheck(app: FastifyInstance, configured: readonly string[]): void {
  app.addHook('onRequest', (request, _reply, done) => {
    const bound = app.server.address();
    if (bound === null || typeof bound === 'string') {
      done(); // not listening on TCP (inject() in tests): there is no address to rebind to
      return;
    }
    const host = request.headers.host;
    if (hostAllowed(host, bound, configured)) {
      done();
      return;
    }
    done(new HttpError(403, 'E_HOST_NOT_ALLOWED', {
      field: 'header.host',
      problem: `${JSON.stringify(host ?? '')} is not this server's address (a DNS rebinding page sends its own name)`,
      expected: `Host: 127.0.0.1:${bound.port}, localhost:${bound.port} or [::1]:${bound.port}; start the server with --allowed-host NAME to accept another name`,
    }));
  });
}
