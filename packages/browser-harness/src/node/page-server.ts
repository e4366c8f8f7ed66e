/**
 * Serves the worker page, onnxruntime-web's files and registered model files on 127.0.0.1, with the cross-origin
 * isolation headers that WASM threads need (SharedArrayBuffer). The bridge's WebSocket shares this server.
 * Everything lives under `/<secret>/`: pages and model bytes go only to holders of the harness secret (the pages
 * this orchestrator opened, whose relative URLs carry it); any other path is a bare 404.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

import { InvalidOptionsError } from '../protocol';
import { secretMatches, splitSecretPath } from './admission';
import { DEFAULT_PAGES_DIR, ortDistDir } from './paths';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.svg': 'image/svg+xml',
};

const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

export interface PageServerOptions {
  /** Directory of the built pages, served under `/pages/`. @default `<repo>/dist/pages` */
  pagesDir?: string;
  /** Host to bind. @default '127.0.0.1' */
  host?: string;
  /** Port to bind; 0 picks a free one. @default 0 */
  port?: number;
  /**
   * Host name or address put in page URLs instead of the bound one, for browsers on other hosts (`host` may then be
   * '0.0.0.0'). With `tls`, use a name the certificate covers. @default the bound address
   */
  advertisedHost?: string;
  /**
   * Serve pages and the bridge over TLS (https/wss): a page from a non-loopback address is a secure context (WebGPU,
   * WASM threads) only over https. PEM strings or buffers. @default none (http/ws)
   */
  tls?: { cert: string | Buffer; key: string | Buffer };
}

/** A wildcard bind address cannot be put in a URL: pages need the address they can reach. */
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '']);

export class PageServer {
  readonly server: http.Server | https.Server;
  private readonly roots: Record<string, string>;
  private readonly files = new Map<string, string>();
  private address: AddressInfo | undefined;

  constructor(
    private readonly secret: string,
    private readonly options: PageServerOptions = {},
  ) {
    this.roots = { '/pages/': options.pagesDir ?? DEFAULT_PAGES_DIR, '/ort/': ortDistDir() };
    if (options.advertisedHost === undefined && WILDCARD_HOSTS.has(options.host ?? '127.0.0.1')) {
      throw new InvalidOptionsError(
        `harness.host ${JSON.stringify(options.host)} binds every address, which pages cannot be sent to; set harness.advertisedHost to the name or address browsers reach this host by`,
      );
    }
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
      void this.handle(req, res);
    };
    this.server = options.tls === undefined ? http.createServer(handler) : https.createServer({ cert: options.tls.cert, key: options.tls.key }, handler);
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.address = this.server.address() as AddressInfo;
  }

  /** The origin pages are given: `http://127.0.0.1:<port>`, or `https://<advertisedHost>:<port>` and the like. */
  get origin(): string {
    if (this.address === undefined) {
      throw new Error('PageServer.origin read before listen()');
    }
    const host = this.options.advertisedHost ?? this.address.address;
    return `${this.options.tls === undefined ? 'http' : 'https'}://${host.includes(':') ? `[${host}]` : host}:${this.address.port}`;
  }

  /** Makes one file fetchable by pages at the returned URL (used to load models by URL rather than over the socket). */
  serveFile(filePath: string): string {
    const token = randomUUID();
    this.files.set(token, path.resolve(filePath));
    return `${this.origin}/${this.secret}/files/${token}/${encodeURIComponent(path.basename(filePath))}`;
  }

  /** The worker page's URL with `query` (carries the secret: hand it only to browsers this harness drives). */
  pageUrl(query: URLSearchParams): string {
    return `${this.origin}/${this.secret}/pages/worker.html?${query.toString()}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private resolvePath(fullPath: string): string | undefined {
    const split = splitSecretPath(fullPath);
    if (split === undefined || !secretMatches(this.secret, split.presented)) {
      return undefined;
    }
    const urlPath = split.rest;
    if (urlPath.startsWith('/files/')) {
      return this.files.get(urlPath.split('/')[2] ?? '');
    }
    for (const [prefix, root] of Object.entries(this.roots)) {
      if (urlPath.startsWith(prefix)) {
        const resolved = path.resolve(root, `.${urlPath.slice(prefix.length - 1)}`);
        // Refuse `..` escapes out of the served directory.
        return resolved.startsWith(root + path.sep) ? resolved : undefined;
      }
    }
    return undefined;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...ISOLATION_HEADERS, Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('method not allowed');
      return;
    }
    let urlPath: string;
    try {
      urlPath = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      res.writeHead(400, { ...ISOLATION_HEADERS, 'Content-Type': 'text/plain' }).end('bad path');
      return;
    }
    const filePath = this.resolvePath(urlPath);
    const info = filePath === undefined ? undefined : await stat(filePath).catch(() => undefined);
    if (filePath === undefined || info?.isFile() !== true) {
      // No echo of the path: it may hold a guessed secret.
      res.writeHead(404, { ...ISOLATION_HEADERS, 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, {
      ...ISOLATION_HEADERS,
      'Content-Type': CONTENT_TYPES[path.extname(filePath)] ?? 'application/octet-stream',
      'Content-Length': info.size,
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const stream = createReadStream(filePath);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  }
}
