/** `browser-pool serve`: the REST API over the database. */
import { createApi, listen } from '@browser-pool/db-integration';
import type { Command } from 'commander';

import { type Io, positiveInt, withStore } from './context';

export function registerServeCommand(program: Command, io: Io): void {
  program
    .command('serve')
    .description('Serve the REST API (results, comparison, compatibility, integration, read-only query, reports, Prometheus metrics, OpenAPI at /openapi.json)')
    .option('--host <host>', 'address to bind; anything but loopback requires a token', '127.0.0.1')
    .option('--port <port>', 'port (0 picks a free one)', (v) => Number(v), 8765)
    .option('--token <token>', 'bearer token required by writes (default: BROWSER_POOL_TOKEN; without one, writes are refused)')
    .option('--cors <origins>', 'comma-separated origins allowed by CORS (default: CORS off)')
    .option('--query-row-limit <n>', 'most rows /query returns', positiveInt('--query-row-limit'), 10_000)
    .option('--query-timeout-ms <ms>', '/query statement timeout', positiveInt('--query-timeout-ms'), 10_000)
    .option('--query-byte-limit <bytes>', 'most bytes of a /query answer (larger answers get 400 E_DB_RESULT_TOO_LARGE)', positiveInt('--query-byte-limit'), 32 * 1024 * 1024)
    .option('--body-limit <bytes>', 'largest request body', positiveInt('--body-limit'), 10 * 1024 * 1024)
    .option('--ingest-max-rows <n>', 'most results in one POST /ingest batch (more: 413 E_BATCH_TOO_LARGE)', positiveInt('--ingest-max-rows'), 5000)
    .option('--allowed-host <names>', 'comma-separated Host names (name or name:port) accepted besides the bound address, localhost, 127.0.0.1 and [::1] (DNS rebinding guard)')
    .action(async (opts: { host: string; port: number; token?: string; cors?: string; queryRowLimit: number; queryTimeoutMs: number; queryByteLimit: number; bodyLimit: number; ingestMaxRows: number; allowedHost?: string }, cmd: Command) => {
      // The server's DuckDB can reach no file but its own, and a query cannot turn that back on.
      await withStore(cmd, 'write', async (store) => {
        const token = opts.token ?? process.env.BROWSER_POOL_TOKEN;
        const app = await createApi({
          store,
          ...(token === undefined ? {} : { token }),
          queryRowLimit: opts.queryRowLimit,
          queryTimeoutMs: opts.queryTimeoutMs,
          queryByteLimit: opts.queryByteLimit,
          bodyLimit: opts.bodyLimit,
          ingestMaxRows: opts.ingestMaxRows,
          ...(opts.allowedHost === undefined ? {} : { allowedHosts: opts.allowedHost.split(',').map((h) => h.trim()).filter((h) => h !== '') }),
          ...(opts.cors === undefined ? {} : { corsOrigins: opts.cors.split(',') }),
        });
        const url = await listen(app, token, { host: opts.host, port: opts.port });
        io.out(`browser-pool API on ${url} (database ${store.path}; writes ${token === undefined ? 'disabled: no token' : 'need the bearer token'}); Ctrl-C stops`);
        await new Promise<void>((resolveStop) => {
          const stop = (): void => {
            void app.close().then(() => resolveStop());
          };
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
      }, { enable_external_access: 'false', lock_configuration: 'true' });
    });
}
