/** Starts session workers: each gets the page's init and, where the page has a relay, its own port to it. */
import type { PageTransport } from '../transport';
import type { InitMessage } from './messages';

/** Starts a worker (`warmUp`: a spare's init) and ends one: its port at the relay is closed once it is terminated. */
export interface Spawner {
  spawn(warmUp: boolean): Worker;
  end(worker: Worker): void;
}

export function workerSpawner(transport: PageTransport, init: InitMessage, name: string): Spawner {
  const keys = new WeakMap<Worker, number>();
  let nextKey = 1;
  const spawn = (warmUp: boolean): Worker => {
    // Written out here so vite bundles the worker entry (it recognises this exact form).
    const worker = new Worker(new URL('./entry.ts', import.meta.url), { type: 'module', name });
    const channel = new MessageChannel();
    const key = nextKey++;
    const replyPort = transport.attach(channel.port1, key) ? channel.port2 : undefined;
    if (replyPort !== undefined) {
      keys.set(worker, key);
    }
    const message: InitMessage = { ...init, ...(warmUp ? { warmUp } : {}), ...(replyPort === undefined ? {} : { replyPort }) };
    worker.postMessage(message, replyPort === undefined ? [] : [replyPort]);
    return worker;
  };
  const end = (worker: Worker): void => {
    worker.terminate();
    const key = keys.get(worker);
    if (key !== undefined) {
      transport.detach(key);
    }
  };
  return { spawn, end };
}
