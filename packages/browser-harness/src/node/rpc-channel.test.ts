/**
 * RpcChannel over a real loopback WebSocket. The far end is a scripted stand-in for the page (a unit-test double):
 * it answers pings when told to and never answers `run`, so deadlines, aborts, closes and heartbeats are exercised.
 */
import type { AddressInfo } from 'node:net';

import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';

import { ErrorCode } from '../protocol';
import { RpcChannel, type RpcChannelOptions } from './rpc-channel';

interface Pair {
  channel: RpcChannel;
  peer: WebSocket;
  answerPings: { on: boolean };
  close: () => Promise<void>;
}

const open: Pair[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.close()));
});

async function pair(options: RpcChannelOptions = {}): Promise<Pair> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => wss.once('listening', r));
  const serverSide = new Promise<WebSocket>((r) => wss.once('connection', r));
  const peer = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  const answerPings = { on: true };
  peer.on('message', (data: Buffer) => {
    const msg = JSON.parse(data.toString()) as { type: string; id: number };
    if (msg.type === 'ping' && answerPings.on) {peer.send(JSON.stringify({ type: 'pong', id: msg.id }));}
    if (msg.type === 'release') {peer.send(JSON.stringify({ type: 'error', id: msg.id, error: { name: 'SessionNotFoundError', code: 'E_SESSION_NOT_FOUND', message: 'no session "s9"' } }));}
  });
  await new Promise((r) => peer.once('open', r));
  const channel = new RpcChannel(await serverSide, 'test', options);
  const p: Pair = {
    channel,
    peer,
    answerPings,
    close: async () => {
      channel.close();
      peer.terminate();
      await new Promise((r) => wss.close(r));
    },
  };
  open.push(p);
  return p;
}

describe('RpcChannel', () => {
  it('resolves a call with its validated reply', async () => {
    const { channel } = await pair();
    expect(await channel.ping()).toBeGreaterThan(0);
  });

  it('rebuilds a remote error into its class and code', async () => {
    const { channel } = await pair();
    await expect(channel.call({ type: 'release', sessionId: 's9' })).rejects.toMatchObject({
      name: 'SessionNotFoundError',
      code: ErrorCode.SessionNotFound,
      message: 'no session "s9"',
    });
  });

  it('fails a call that outlives its deadline with E_TIMEOUT', async () => {
    const { channel } = await pair();
    const start = Date.now();
    await expect(channel.call({ type: 'run', sessionId: 's1' }, [], { timeoutMs: 100 })).rejects.toMatchObject({
      code: ErrorCode.Timeout,
    });
    expect(Date.now() - start).toBeLessThan(1000);
  });

  it('fails with E_ABORTED when the signal aborts, before or during the call', async () => {
    const { channel } = await pair();
    await expect(channel.call({ type: 'run', sessionId: 's1' }, [], { signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: ErrorCode.Aborted,
    });
    const controller = new AbortController();
    const call = channel.call({ type: 'run', sessionId: 's1' }, [], { signal: controller.signal });
    controller.abort();
    await expect(call).rejects.toMatchObject({ code: ErrorCode.Aborted });
  });

  it('fails every pending call at once with E_CONNECTION_LOST when the socket closes', async () => {
    const { channel, peer } = await pair();
    const calls = Array.from({ length: 20 }, () => channel.call({ type: 'run', sessionId: 's1' }, [], { timeoutMs: 30_000 }));
    const start = Date.now();
    peer.terminate();
    const results = await Promise.allSettled(calls);
    expect(Date.now() - start).toBeLessThan(1000);
    expect(results.every((r) => r.status === 'rejected' && (r.reason as { code: string }).code === ErrorCode.ConnectionLost)).toBe(true);
    expect(channel.state.kind).toBe('closed');
    await expect(channel.ping()).rejects.toMatchObject({ code: ErrorCode.ConnectionLost });
  });

  it('declares the connection lost when pongs stop (hung peer), failing pending calls', async () => {
    const { channel, answerPings } = await pair({ heartbeatIntervalMs: 50, maxMissedPongs: 3 });
    const pendingCall = channel.call({ type: 'run', sessionId: 's1' }, [], { timeoutMs: 30_000 });
    answerPings.on = false;
    await expect(pendingCall).rejects.toMatchObject({ code: ErrorCode.ConnectionLost, message: expect.stringMatching(/heartbeat/) });
  });

  it('keeps the connection while pongs keep coming', async () => {
    const { channel } = await pair({ heartbeatIntervalMs: 20, maxMissedPongs: 3 });
    await new Promise((r) => setTimeout(r, 300));
    expect(channel.state.kind).toBe('open');
  });

  it('surfaces a garbage frame from the peer as a protocol error without closing', async () => {
    const { channel, peer } = await pair();
    const seen = new Promise<string>((r) => channel.onProtocolError((e) => r(e.code)));
    peer.send('{"type":"nonsense"}');
    expect(await seen).toBe(ErrorCode.Protocol);
    expect(await channel.ping()).toBeGreaterThan(0);
  });
});
