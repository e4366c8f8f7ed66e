/** Starts session workers: each gets the page's init and, where the page has a relay, its own port to it. */
import type { PageTransport } from '../transport';
import type { InitMessage } from './messages';

/** Each worker's key at the relay (its port there), for routes and for detaching it when it is gone. */
const relayKeys = new WeakMap<Worker, number>();
let nextKey = 1;

/** The relay key of a worker this page started; undefined without a relay. */
export function relayKeyOf(worker: Worker): number | undefined {
  return relayKeys.get(worker);
}

export function workerSpawner(transport: PageTransport, init: InitMessage, name: string): (warmUp: boolean) => Worker {
  return (warmUp) => {
    // Written out here so vite bundles the worker entry (it recognises this exact form).
    const worker = new Worker(new URL('./entry.ts', import.meta.url), { type: 'module', name });
    const channel = new MessageChannel();
    const key = nextKey++;
    const replyPort = transport.attach(channel.port1, key) ? channel.port2 : undefined;
    if (replyPort !== undefined) {
      relayKeys.set(worker, key);
    }
    const message: InitMessage = { ...init, ...(warmUp ? { warmUp } : {}), ...(replyPort === undefined ? {} : { replyPort }) };
    worker.postMessage(message, replyPort === undefined ? [] : [replyPort]);
    return worker;
  };
}
