/**
 * Who may talk to this orchestrator: a per-harness secret (256 bits) that travels only in the page URLs the
 * orchestrator hands its own browsers, compared in constant time, and the page origins those URLs point at.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A fresh secret: 32 random bytes, URL-safe (it is a path segment of every page URL). */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** A connection id: 128 random bits, so a pending id cannot be guessed. */
export function newConnectionId(kind: string): string {
  return `${kind}-${randomBytes(16).toString('hex')}`;
}

/**
 * Constant-time equality of a presented value with the secret. Both sides are hashed first so the comparison takes
 * the same time whatever the presented length (timingSafeEqual needs equal lengths).
 */
export function secretMatches(secret: string, presented: unknown): boolean {
  if (typeof presented !== 'string' || presented.length > 1024) {
    return false;
  }
  const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(secret), digest(presented));
}

/** Splits `/<secret>/rest` into its first segment and the rest, or undefined for a path without one. */
export function splitSecretPath(pathname: string): { presented: string; rest: string } | undefined {
  const match = /^\/([^/]+)(\/.*)$/.exec(pathname);
  return match === null ? undefined : { presented: match[1]!, rest: match[2]! };
}
