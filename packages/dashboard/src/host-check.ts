/**
 * DNS rebinding guard, the same rule as the REST API's (db-integration/src/api/host-check.ts): a page on a name it
 * controls can point that name at 127.0.0.1 and read a loopback server as its own origin; only the Host header
 * still carries the foreign name. The dashboard has no configured names (it is loopback only), so the rule is
 * shorter and kept here rather than importing the API's module (dashboard reads a snapshot, not db-integration).
 */
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/** True when `host` is a loopback name with the bound port. */
export function loopbackHostAllowed(host: string | undefined, port: number): boolean {
  if (host === undefined) {
    return false;
  }
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/i.exec(host.trim().toLowerCase());
  if (m === null) {
    return false;
  }
  const hostPort = m[2] === undefined ? 80 : Number(m[2]);
  return hostPort === port && LOOPBACK_NAMES.includes(m[1] ?? '');
}
