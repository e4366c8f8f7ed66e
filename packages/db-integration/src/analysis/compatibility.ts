/** Compatibility matrix: model x browser x backend -> works / fails (with the error) / untested. */
import type { Store } from '../store/store';

export interface CompatibilityCell {
  model: string;
  browser: string;
  backend: string;
  status: 'works' | 'fails' | 'untested';
  error: string | undefined;
}

/** Every known model against every known browser/backend; the latest outcome wins, no outcome is `untested`. */
export async function compatibilityMatrix(store: Store, filter: { model?: string; browser?: string } = {}): Promise<CompatibilityCell[]> {
  const rows = await store.all<{ model_name: string; browser: string; backend: string; ok: boolean | null; error_code: string | null; error_message: string | null }>(
    `WITH ms AS (SELECT model_name FROM models WHERE ?::VARCHAR IS NULL OR model_name = ?),
          hs AS (SELECT DISTINCT browser, backend FROM hardware_platforms WHERE browser IS NOT NULL AND (?::VARCHAR IS NULL OR browser = ?))
     SELECT ms.model_name, hs.browser, hs.backend, c.is_compatible AS ok, c.error_code, c.error_message
     FROM ms CROSS JOIN hs
     LEFT JOIN compatibility_matrix c ON c.model_name = ms.model_name AND c.browser = hs.browser AND c.backend = hs.backend
     ORDER BY 1, 2, 3`,
    [filter.model ?? null, filter.model ?? null, filter.browser ?? null, filter.browser ?? null],
  );
  return rows.map((r) => ({
    model: r.model_name,
    browser: r.browser,
    backend: r.backend,
    status: r.ok === null ? 'untested' : r.ok ? 'works' : 'fails',
    error: r.ok === false ? `${r.error_code ?? ''} ${r.error_message ?? ''}`.trim() : undefined,
  }));
}
