/**
 * Sends results from an orchestrator to a collector (`browser-pool serve` on another host) in batches through
 * `POST /ingest`. Each batch gets a random idempotency key and is written to a durable spool folder before the first
 * attempt; it leaves the spool only when the collector answered 201 (stored now or earlier: a retry after a lost
 * answer is stored once). Network errors, timeouts, 408, 429, 5xx and 401/403 (a token being rotated) are retried
 * with capped exponential backoff and full jitter for as long as the client is open; a client opened later on the same spool sends what was left. A batch
 * the collector refuses for good (400, 409, 413) moves to `rejected/` with the answer and is reported in `errors`.
 *
 * Results are validated when added (a bad one throws at once and never poisons a batch). What is lost on a crash:
 * only results added since the last seal (at most `flushIntervalMs` or `batchRows`), as with the local recorder.
 */
import { randomUUID } from 'node:crypto';

import { type IngestBatchInput, type IngestKind } from '../api/ingest-schema';
import { DbError, DbErrorCode } from '../errors';
import { compatibilityResultSchema, integrationResultSchema, performanceResultSchema } from '../tools/result-schemas';
import { Spool, type SpooledBatch } from './spool';

export interface IngestClientOptions {
  /** The collector's base URL, e.g. `http://collector:8765`. */
  url: string;
  /** The collector's write token (`BROWSER_POOL_TOKEN` there). */
  token: string;
  /** Folder of batches not yet acknowledged (created when absent). */
  spoolDir: string;
  /** Sent as `X-Ingest-Source` with the batches this client seals (kept with each in the spool and the database). @default none */
  source?: string;
  /** Results per batch. @default 500 */
  batchRows?: number;
  /** Seal a partial batch at least this often (ms). @default 1000 */
  flushIntervalMs?: number;
  /** First retry delay (ms); doubles per failure up to `retryMaxMs`, each delay drawn uniformly below it. @default 200 */
  retryBaseMs?: number;
  /** @default 10_000 */
  retryMaxMs?: number;
  /** One request's limit (ms). @default 30_000 */
  requestTimeoutMs?: number;
}

export interface IngestClientStats {
  /** Batches the collector acknowledged (201), replays included. */
  batchesSent: number;
  /** Of those, answered as a replay of an earlier delivery. */
  replays: number;
  /** Rows the collector stored for these batches (a replay answers what the lost first delivery stored). */
  inserted: number;
  /** Failed attempts that will be retried. */
  retries: number;
  /** Batches refused for good (in `rejected/`). */
  rejected: number;
}

const SCHEMAS = { performance: performanceResultSchema, compatibility: compatibilityResultSchema, integration: integrationResultSchema } as const;

/** Answers worth retrying: the batch may be fine and the collector busy, restarting or behind a proxy. */
const retryable = (status: number): boolean => status === 408 || status === 429 || status >= 500 || status === 401 || status === 403;

type Attempt = { kind: 'stored'; replayed: boolean; inserted: number } | { kind: 'rejected'; status: number; body: string } | { kind: 'retry'; why: string };

export class IngestClient {
  readonly stats: IngestClientStats = { batchesSent: 0, replays: 0, inserted: 0, retries: 0, rejected: 0 };
  /** Batches refused for good, and the latest retryable failure (while retrying). */
  readonly errors: DbError[] = [];
  lastFailure: string | undefined;
  private buffer: IngestBatchInput = {};
  private buffered = 0;
  private sealing: Promise<void> = Promise.resolve();
  /** Ends the sender's current sleep: `idle` ones on a new batch, every one on close. */
  private wake: { idle: boolean; now: () => void } | undefined;
  private stopped = false;
  private readonly loop: Promise<void>;
  private readonly timer: NodeJS.Timeout;
  private readonly o: Required<Omit<IngestClientOptions, 'source'>> & { source: string | undefined };

  private constructor(private readonly spool: Spool, options: IngestClientOptions) {
    this.o = { batchRows: 500, flushIntervalMs: 1000, retryBaseMs: 200, retryMaxMs: 10_000, requestTimeoutMs: 30_000, ...options, source: options.source, url: options.url.replace(/\/+$/, '') };
    this.timer = setInterval(() => this.seal(), this.o.flushIntervalMs);
    this.timer.unref();
    this.loop = this.run();
  }

  /** Opens the spool and starts sending (batches left there by an earlier client first). */
  static async open(options: IngestClientOptions): Promise<IngestClient> {
    for (const k of ['batchRows', 'flushIntervalMs', 'retryBaseMs', 'retryMaxMs', 'requestTimeoutMs'] as const) {
      const v = options[k];
      if (v !== undefined && (!Number.isInteger(v) || v <= 0)) {
        throw new DbError(DbErrorCode.InvalidArgument, `IngestClient ${k} must be a positive integer, got ${v}`);
      }
    }
    return new IngestClient(await Spool.open(options.spoolDir), options);
  }

  /** Validates and buffers one result. @throws DbError E_DB_INVALID_ARGUMENT naming the field */
  add(kind: IngestKind, result: unknown): void {
    if (this.stopped) {
      throw new DbError(DbErrorCode.Closed, 'IngestClient is closed');
    }
    const parsed = SCHEMAS[kind].safeParse(result);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new DbError(DbErrorCode.InvalidArgument, `${kind} result: ${issue?.path.join('.') ?? ''} ${issue?.message ?? 'invalid'}`);
    }
    (this.buffer[kind] ??= []).push(result as never);
    this.buffered++;
    if (this.buffered >= this.o.batchRows) {
      this.seal();
    }
  }

  /** Seals what is buffered into the spool and waits until every spooled batch was acknowledged or refused. */
  async flush(): Promise<void> {
    this.seal();
    await this.sealing;
    while ((await this.spool.list()).length > 0 && !this.stopped) {
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /**
   * Seals the buffer and sends for at most `drainMs`; what is still unsent stays in the spool for the next client
   * on the same folder. Returns how many batches were left there.
   */
  async close(drainMs = 10_000): Promise<{ pending: number }> {
    clearInterval(this.timer);
    this.seal();
    await this.sealing;
    const deadline = Date.now() + drainMs;
    while ((await this.spool.list()).length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    this.stopped = true;
    this.wake?.now();
    await this.loop;
    return { pending: (await this.spool.list()).length };
  }

  private seal(): void {
    if (this.buffered === 0) {
      return;
    }
    const body = this.buffer;
    this.buffer = {};
    this.buffered = 0;
    this.sealing = this.sealing.then(() => this.spool.put(randomUUID(), this.o.source, body)).then(
      () => {
        if (this.wake?.idle === true) {
          this.wake.now();
        }
      },
      (error: unknown) => {
        // not lost: back into the buffer, sealed again with the next batch
        for (const kind of Object.keys(body) as IngestKind[]) {
          const rows = body[kind] ?? [];
          (this.buffer[kind] ??= []).push(...(rows as never[]));
          this.buffered += rows.length;
        }
        this.lastFailure = `spool write failed: ${(error as Error).message}`;
        this.errors.push(new DbError(DbErrorCode.IngestSpool, `cannot write a batch to the spool ${this.spool.dir} (${(error as Error).message}); its results stay buffered and are sealed again`, { cause: error }));
      },
    );
  }

  /** The sender: never rejects (a failing spool folder is retried with backoff and reported in `lastFailure`). */
  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        failures = await this.sendSpooled(failures);
      } catch (error) {
        failures++;
        this.lastFailure = `spool: ${(error as Error).message}`;
        await this.sleep(Math.min(this.o.retryMaxMs, this.o.retryBaseMs * 2 ** Math.min(failures - 1, 30)), false);
      }
    }
  }

  /** One pass over the spool, oldest first, until it is empty, a send must be retried, or the client stops; returns the failure count. */
  private async sendSpooled(failuresBefore: number): Promise<number> {
    const names = await this.spool.list();
    if (names.length === 0) {
      await this.sleep(this.o.flushIntervalMs, true);
      return failuresBefore;
    }
    for (const name of names) {
      if (this.stopped) {
        break;
      }
      let batch: SpooledBatch;
      try {
        batch = await this.spool.read(name);
      } catch (error) {
        // a file this client cannot read (not a batch, edited by hand): set aside, never retried, never fatal
        this.errors.push(new DbError(DbErrorCode.IngestSpool, `spool file ${name} is not a readable batch (${(error as Error).message}); moved to ${this.spool.dir}/rejected/`, { cause: error }));
        await this.spool.reject(name, { status: 0, body: (error as Error).message });
        continue;
      }
      const attempt = await this.send(batch);
      if (attempt.kind === 'retry') {
        this.stats.retries++;
        this.lastFailure = attempt.why;
        const failures = failuresBefore + 1;
        const cap = Math.min(this.o.retryMaxMs, this.o.retryBaseMs * 2 ** Math.min(failures - 1, 30));
        await this.sleep(Math.random() * cap, false);
        return failures;
      }
      failuresBefore = 0;
      this.lastFailure = undefined;
      if (attempt.kind === 'stored') {
        this.stats.batchesSent++;
        this.stats.replays += attempt.replayed ? 1 : 0;
        this.stats.inserted += attempt.inserted;
        await this.spool.remove(name);
      } else {
        this.stats.rejected++;
        this.errors.push(new DbError(DbErrorCode.IngestRejected, `collector refused batch ${batch.key} (${attempt.status}): ${attempt.body.slice(0, 500)}; kept in ${this.spool.dir}/rejected/${name}`));
        await this.spool.reject(name, { status: attempt.status, body: attempt.body });
      }
    }
    return 0;
  }

  private sleep(ms: number, idle: boolean): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = { idle, now: done };
    });
  }

  private async send({ key, source, body }: SpooledBatch): Promise<Attempt> {
    let res: Response;
    try {
      res = await fetch(`${this.o.url}/ingest`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${this.o.token}`,
          'idempotency-key': key,
          ...(source === undefined ? {} : { 'x-ingest-source': source }),
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.o.requestTimeoutMs),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      return { kind: 'retry', why: `${(error as Error).message}${cause === undefined ? '' : ` (${cause})`}` };
    }
    const text = await res.text().catch((error: unknown) => `(answer lost: ${(error as Error).message})`);
    if (res.status === 201) {
      const outcome = JSON.parse(text) as { inserted: number };
      return { kind: 'stored', replayed: res.headers.get('idempotent-replayed') === 'true', inserted: outcome.inserted };
    }
    return retryable(res.status) ? { kind: 'retry', why: `${res.status} ${text.slice(0, 200)}` } : { kind: 'rejected', status: res.status, body: text };
  }
}
