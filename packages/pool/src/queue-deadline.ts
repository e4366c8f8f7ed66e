/**
 * A job added to a connection's p-queue that may wait there only until its request's deadline or the caller's abort.
 * The wait is cut short, and the job never starts; once it has started, the job's own outcome is the answer.
 *
 * p-queue's own `signal` option is not enough: it also races a job that is already running against the signal, so a
 * running call whose deadline passed was reported as "waited in the queue" (the run's own error, such as a page that
 * lost the call, was dropped), and its slot was freed while the page was still working on it. Here the signal given
 * to p-queue is aborted only while the job is still queued.
 */
import { AbortedError, TimeoutError } from '@browser-pool/browser-harness';
import type PQueue from 'p-queue';

export interface QueueDeadline {
  /** Epoch ms after which the job must not start. */
  deadline: number;
  /** The caller's abort: the job is dropped if it comes while queued (a running job gets it from `job` itself). */
  signal?: AbortSignal;
  priority: number;
  /** Names the queue in the timeout message (e.g. `connection chromium-1`). */
  label: string;
}

export async function addBeforeDeadline<T>(queue: PQueue, job: () => Promise<T>, options: QueueDeadline): Promise<T> {
  const remaining = Math.max(1, options.deadline - Date.now());
  const waiting = new AbortController();
  let started = false;
  let expired = false;
  const stopWaiting = (deadlinePassed: boolean): void => {
    if (!started && !waiting.signal.aborted) {
      expired = deadlinePassed;
      waiting.abort();
    }
  };
  const timer = setTimeout(() => stopWaiting(true), remaining);
  const onAbort = (): void => stopWaiting(false);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted === true) {
    stopWaiting(false);
  }
  try {
    return await queue.add(
      () => {
        started = true;
        return job();
      },
      { priority: options.priority, signal: waiting.signal },
    );
  } catch (error) {
    if (started || !waiting.signal.aborted) {
      throw error;
    }
    if (expired) {
      throw new TimeoutError(`${options.label}: request waited ${remaining} ms in the queue and reached its deadline before it ran`, { cause: error });
    }
    throw new AbortedError('inference aborted by the caller before it ran', { cause: error });
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}
