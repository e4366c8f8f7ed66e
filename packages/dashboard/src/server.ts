/**
 * The dashboard's local server: static files only (the page, its bundled duckdb-wasm, the snapshot), bound to
 * 127.0.0.1, GET/HEAD only, Host checked. All queries run in the browser on its own copy, so nothing here reads
 * the database.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { DashboardError, DashboardErrorCode } from './errors';
import { checkFiles, contentType, type DashboardFiles, fileFor } from './files';
import { loopbackHostAllowed } from './host-check';

export interface DashboardServerOptions extends DashboardFiles {
  /** Port; 0 picks a free one. @default 0 */
  port?: number;
  /** Loopback address to bind. @default '127.0.0.1' */
  host?: '127.0.0.1' | '::1' | 'localhost';
}

export interface DashboardServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

function refuse(res: ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify({ error: { code, message } }));
}

async function handle(files: DashboardFiles, server: Server, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const port = (server.address() as AddressInfo).port;
  if (!loopbackHostAllowed(req.headers.host, port)) {
    refuse(res, 403, 'E_HOST_NOT_ALLOWED', `Host ${JSON.stringify(req.headers.host ?? '')} is not this server; use http://127.0.0.1:${port}/`);
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    refuse(res, 405, 'E_METHOD_NOT_ALLOWED', 'the dashboard serves files only (GET, HEAD)');
    return;
  }
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
  } catch {
    refuse(res, 400, 'E_BAD_PATH', 'the path is not valid percent-encoding');
    return;
  }
  const file = fileFor(files, pathname);
  const info = file === undefined ? undefined : await stat(file).catch(() => undefined);
  if (file === undefined || info === undefined || !info.isFile()) {
    refuse(res, 404, 'E_NOT_FOUND', `${pathname} is not part of the dashboard`);
    return;
  }
  res.writeHead(200, {
    'content-type': contentType(file),
    'content-length': info.size,
    // the snapshot is rewritten on every start: a cached copy would show an older database
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(file).on('error', () => res.destroy()).pipe(res);
}

/** Starts the server; resolves once it listens. */
export async function startDashboardServer(options: DashboardServerOptions): Promise<DashboardServer> {
  const host = options.host ?? '127.0.0.1';
  if (!['127.0.0.1', '::1', 'localhost'].includes(host)) {
    throw new DashboardError(DashboardErrorCode.NotLoopback, `the dashboard binds to loopback only, got ${JSON.stringify(host)}`);
  }
  const files: DashboardFiles = { pagesDir: options.pagesDir, snapshotDir: options.snapshotDir };
  checkFiles(files);
  const server = createServer();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    handle(files, server, req, res).catch(() => {
      if (!res.headersSent) {
        refuse(res, 500, 'E_INTERNAL', 'could not read the file');
      } else {
        res.destroy();
      }
    });
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolveListen());
  });
  server.on('error', () => undefined); // after listen, a socket error must not crash the CLI
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host === '::1' ? '[::1]' : '127.0.0.1'}:${port}/`,
    port,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}
