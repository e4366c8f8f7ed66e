import { BrowserPoolError, ConnectionLostError } from '@browser-pool/browser-harness';
import PQueue from 'p-queue';
import { describe, expect, it } from 'vitest';

import { addBeforeDeadline } from './queue-deadline';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const codeOf = (error: unknown): string | undefined => (error instanceof BrowserPoolError ? error.code : undefined);

describe('a job waits in the connection queue only until its deadline', () => {
  it('a running job past its deadline answers with its own outcome and keeps its slot until it ends', async () => {
    const queue = new PQueue({ concurrency: 1 });
    const running = addBeforeDeadline(
      queue,
      async () => {
        await sleep(80);
        throw new ConnectionLostError('the page lost the call');
      },
      { deadline: Date.now() + 20, priority: 0, label: 'connection c1' },
    );
    const failed = running.catch((error: unknown) => error);
    await sleep(40); // past the deadline, the job still runs
    expect(queue.pending).toBe(1);
    const error = await failed;
    // p-queue's own signal option rejected here at 20 ms with "waited in the queue" and freed the slot.
    expect(codeOf(error)).toBe('E_CONNECTION_LOST');
    expect(queue.pending).toBe(0);
  });

  it('a queued job past its deadline fails with E_TIMEOUT at the deadline and never starts', async () => {
    const queue = new PQueue({ concurrency: 1 });
    const blocker = addBeforeDeadline(queue, () => sleep(150), { deadline: Date.now() + 1000, priority: 0, label: 'connection c2' });
    let ran = false;
    const started = performance.now();
    const queued = addBeforeDeadline(
      queue,
      () => {
        ran = true;
        return Promise.resolve();
      },
      { deadline: Date.now() + 30, priority: 0, label: 'connection c2' },
    ).catch((error: unknown) => error);
    const error = await queued;
    expect(performance.now() - started).toBeLessThan(120); // not when the slot freed (150 ms)
    expect(codeOf(error)).toBe('E_TIMEOUT');
    expect((error as Error).message).toMatch(/^connection c2: request waited \d+ ms in the queue and reached its deadline before it ran$/);
    expect(queue.size).toBe(0); // taken out of the line at once
    await blocker;
    await queue.onIdle();
    expect(ran).toBe(false);
  });

  it("the caller's abort drops a queued job (E_ABORTED) and does not touch a running one", async () => {
    const queue = new PQueue({ concurrency: 1 });
    const controller = new AbortController();
    const first = addBeforeDeadline(queue, () => sleep(60).then(() => 'done'), { deadline: Date.now() + 1000, signal: controller.signal, priority: 0, label: 'c3' });
    let ran = false;
    const second = addBeforeDeadline(
      queue,
      () => {
        ran = true;
        return Promise.resolve('second');
      },
      { deadline: Date.now() + 1000, signal: controller.signal, priority: 0, label: 'c3' },
    ).catch((error: unknown) => error);
    await sleep(10);
    controller.abort();
    expect(codeOf(await second)).toBe('E_ABORTED');
    // The running job ends on its own (the connection passes the caller's signal to the page call itself).
    expect(await first).toBe('done');
    expect(ran).toBe(false);
  });

  it('an already aborted signal never starts the job', async () => {
    const queue = new PQueue({ concurrency: 1 });
    let ran = false;
    const error = await addBeforeDeadline(
      queue,
      () => {
        ran = true;
        return Promise.resolve();
      },
      { deadline: Date.now() + 1000, signal: AbortSignal.abort(), priority: 0, label: 'c4' },
    ).catch((e: unknown) => e);
    expect(codeOf(error)).toBe('E_ABORTED');
    await queue.onIdle();
    expect(ran).toBe(false);
  });
});
