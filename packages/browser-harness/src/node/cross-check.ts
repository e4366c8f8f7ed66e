/**
 * What a page reports about itself is a claim. Where the orchestrator knows better (the driver talks to the browser
 * process itself), the claim is checked: a page whose user agent names another browser or major version than the
 * one launched is refused. Hardware claims (adapter, WebGPU features) cannot be checked from here; they are stored
 * as reported, and the known-answer check tests what the page computes.
 */
import { type Capabilities, ProtocolError } from '../protocol';
import type { BrowserKind } from './drivers/types';

const UA_TOKEN: Record<BrowserKind, RegExp> = {
  chromium: /(?:HeadlessChrome|Chrome|Chromium)\/(\d+)\./,
  edge: /(?:Edg|HeadlessChrome|Chrome)\/(\d+)\./,
  firefox: /Firefox\/(\d+)\./,
};

export function crossCheckClaims(kind: BrowserKind, driverVersion: string, capabilities: Capabilities): void {
  const claimed = UA_TOKEN[kind].exec(capabilities.userAgent)?.[1];
  const launched = /^(\d+)\./.exec(driverVersion)?.[1];
  if (launched === undefined) {
    return; // the driver could not tell; nothing to hold the claim against
  }
  if (claimed !== launched) {
    throw new ProtocolError(
      `the page claims to be ${claimed === undefined ? 'another browser' : `${kind} ${claimed}`} (user agent "${capabilities.userAgent}") ` +
        `but the driver launched ${kind} ${driverVersion}; refusing it`,
      { details: { browser: kind, driverVersion, userAgent: capabilities.userAgent } },
    );
  }
}
