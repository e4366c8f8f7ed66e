/**
 * The measurements filter the recommendation and the "bound by" analyses share: rows of the last `days` with a browser,
 * a backend and a positive p50, optionally one model and one browser. Both group the same rows differently.
 */
import { sqlTimestamp } from '../store/store';

export interface RecentQuery {
  /** @default 30 */
  days?: number;
  model?: string;
  browser?: string;
}

/** The WHERE clause (without the keyword) over `measurements` and its parameters, in order. */
export function recentMeasured(q: RecentQuery): { where: string; params: (string | null)[] } {
  return {
    where: `recorded_at >= ?::TIMESTAMP AND browser IS NOT NULL AND backend IS NOT NULL AND p50_ms > 0
       AND (?::VARCHAR IS NULL OR model_name = ?) AND (?::VARCHAR IS NULL OR browser = ?)`,
    params: [sqlTimestamp(new Date(Date.now() - (q.days ?? 30) * 86_400_000)), q.model ?? null, q.model ?? null, q.browser ?? null, q.browser ?? null],
  };
}
