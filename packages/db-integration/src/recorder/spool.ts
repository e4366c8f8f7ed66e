/**
 * A durable folder of batches waiting to be sent: each batch is one JSON file `{key, source, body}` written to a temp name,
 * fsynced and renamed into place, so a file that is listed is complete. Names sort in the order batches were sealed.
 * A batch the collector refused for good moves to `rejected/` beside a note of why (kept, never deleted).
 */
import { mkdir, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { IngestBatchInput } from '../api/ingest-schema';

export interface SpooledBatch {
  /** File name inside the spool folder. */
  name: string;
  key: string;
  /** The sealer's name for itself, sent with every attempt. */
  source: string | undefined;
  body: IngestBatchInput;
}

export class Spool {
  private seq = 0;

  private constructor(readonly dir: string) {}

  static async open(dir: string): Promise<Spool> {
    await mkdir(join(dir, 'rejected'), { recursive: true });
    return new Spool(dir);
  }

  /** Writes the batch durably; resolves once it would survive a crash of this process or machine. */
  async put(key: string, source: string | undefined, body: IngestBatchInput): Promise<void> {
    const name = `${String(Date.now()).padStart(15, '0')}-${String(this.seq++).padStart(6, '0')}-${key}.json`;
    const tmp = join(this.dir, `.${name}.tmp`);
    const file = await open(tmp, 'w');
    try {
      await file.writeFile(JSON.stringify({ key, source, body }));
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, join(this.dir, name));
    const folder = await open(this.dir, 'r');
    try {
      await folder.sync();
    } finally {
      await folder.close();
    }
  }

  /** Batches waiting, oldest first. */
  async list(): Promise<string[]> {
    return (await readdir(this.dir)).filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort();
  }

  async read(name: string): Promise<SpooledBatch> {
    const { key, source, body } = JSON.parse(await readFile(join(this.dir, name), 'utf8')) as Omit<SpooledBatch, 'name'>;
    return { name, key, source, body };
  }

  async remove(name: string): Promise<void> {
    await rm(join(this.dir, name), { force: true });
  }

  /** Moves a batch the collector refused for good to `rejected/`, with the answer beside it. */
  async reject(name: string, why: { status: number; body: string }): Promise<void> {
    await writeFile(join(this.dir, 'rejected', `${name}.error.json`), JSON.stringify(why));
    await rename(join(this.dir, name), join(this.dir, 'rejected', name));
  }
}
