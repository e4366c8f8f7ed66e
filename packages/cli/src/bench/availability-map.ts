/** Availability as the planner needs it: browser|backend -> why it cannot run, from a probe or from the log. */
import type { Backend, BrowserKind } from '@browser-pool/browser-harness';
import type { Store } from '@browser-pool/db-integration';

import type { BackendAvailability } from '../availability';
import { availabilityKey } from './plan';

export function unavailableFrom(found: readonly BackendAvailability[]): Map<string, string> {
  return new Map(found.filter((a) => !a.available).map((a) => [availabilityKey(a.browser, a.backend), a.reason ?? 'not available']));
}

/** The latest logged check per browser (for `--dry-run`, which launches nothing); empty when never checked. */
export async function loggedUnavailable(store: Store): Promise<{ unavailable: Map<string, string>; checkedAt: Date | undefined }> {
  const rows = await store.all<{ browser: string; backend: string; available: boolean; reason: string | null; checked_at: Date }>(
    `SELECT browser, backend, available, reason, checked_at FROM hardware_availability_log
     QUALIFY checked_at = max(checked_at) OVER (PARTITION BY browser)`,
  );
  const out = new Map<string, string>();
  const webnn = new Map<string, { ok: boolean; reasons: string[] }>();
  for (const r of rows) {
    if (r.backend === '*') {
      for (const b of ['webgpu', 'webnn', 'wasm'] as const) {
        out.set(availabilityKey(r.browser as BrowserKind, b), r.reason ?? 'browser unavailable');
      }
    } else if (r.backend.startsWith('webnn')) {
      const w = webnn.get(r.browser) ?? { ok: false, reasons: [] };
      w.ok ||= r.available;
      w.reasons.push(`${r.backend}: ${r.reason ?? ''}`);
      webnn.set(r.browser, w);
    } else if (!r.available) {
      out.set(availabilityKey(r.browser as BrowserKind, r.backend as Backend), r.reason ?? 'not available');
    }
  }
  for (const [browser, w] of webnn) {
    if (!w.ok) {
      out.set(availabilityKey(browser as BrowserKind, 'webnn'), w.reasons.join('; '));
    }
  }
  const last = rows.reduce<Date | undefined>((m, r) => (m === undefined || r.checked_at > m ? r.checked_at : m), undefined);
  return { unavailable: out, checkedAt: last };
}
