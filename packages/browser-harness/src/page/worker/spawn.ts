/** Starts session workers: each gets the page's init and, where the page has a relay, its own port to it. */
import type { PageTransport } from '../transport';
import type { InitMessage } from './messages';

export function workerSpawner(transport: PageTransport, init: InitMessage, name: string): (warmUp: boolean) => Worker {
  return (warmUp) => {
    // Written out here so vite bundles the worker entry (it recognises this exact form).
    const worker = new Worker(new URL('./entry.ts', import.meta.url), { type: 'module', name });
    const channel = new MessageChannel();
    const replyPort = transport.attach(channel.port1) ? channel.port2 : undefined;
    const message: InitMessage = { ...init, ...(warmUp ? { warmUp } : {}), ...(replyPort === undefined ? {} : { replyPort }) };
    worker.postMessage(message, replyPort === undefined ? [] : [replyPort]);
    return worker;
  };
}
