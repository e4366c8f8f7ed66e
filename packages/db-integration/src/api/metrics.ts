/**
 * `/metrics` in the Prometheus text exposition format: this server's requests and written rows, the database's
 * size and row counts, and the latest pool snapshot any pool recorded into this database.
 */
import type { Store } from '../store/store';
import { databaseStats } from '../tools/maintenance';

interface Sample {
  labels: Record<string, string>;
  value: number;
}

const escape = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

function family(name: string, type: 'counter' | 'gauge', help: string, samples: readonly Sample[]): string {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`];
  for (const s of samples) {
    const labels = Object.entries(s.labels).map(([k, v]) => `${k}="${escape(v)}"`).join(',');
    lines.push(`${name}${labels === '' ? '' : `{${labels}}`} ${Number.isFinite(s.value) ? s.value : 'NaN'}`);
  }
  return lines.join('\n');
}

export class Metrics {
  private readonly requests = new Map<string, Sample>();
  private readonly written = new Map<string, number>();

  request(route: string, method: string, status: number): void {
    const key = `${method} ${route} ${status}`;
    const s = this.requests.get(key) ?? { labels: { method, route, status: String(status) }, value: 0 };
    s.value++;
    this.requests.set(key, s);
  }

  rowsWritten(table: string, n: number): void {
    this.written.set(table, (this.written.get(table) ?? 0) + n);
  }

  async render(store: Store): Promise<string> {
    const stats = await databaseStats(store);
    const pool = await store.one<Record<string, number | null>>(
      'SELECT connections, ready_connections, spares, utilization, queue_depth, completed, errors, memory_bytes FROM resource_pool_metrics ORDER BY recorded_at DESC, id DESC LIMIT 1',
    );
    const out = [
      family('browser_pool_api_requests_total', 'counter', 'HTTP requests served, by route, method and status.', [...this.requests.values()]),
      family('browser_pool_api_rows_written_total', 'counter', 'Rows this server stored, by table.', [...this.written].map(([table, value]) => ({ labels: { table }, value }))),
      family('browser_pool_db_bytes', 'gauge', 'Size of the database file and its WAL.', stats.bytes === null ? [] : [{ labels: {}, value: stats.bytes }]),
      family('browser_pool_db_schema_version', 'gauge', 'Schema version of the database.', [{ labels: {}, value: stats.schemaVersion }]),
      family('browser_pool_db_rows', 'gauge', 'Rows per table.', stats.tables.map((t) => ({ labels: { table: t.table }, value: t.rows }))),
    ];
    if (pool !== undefined) {
      const gauge = (name: string, help: string, v: number | null | undefined) => family(`browser_pool_pool_${name}`, 'gauge', `${help} (latest recorded pool snapshot).`, v === null || v === undefined ? [] : [{ labels: {}, value: v }]);
      out.push(
        gauge('connections', 'Browser connections', pool.connections),
        gauge('ready_connections', 'Ready connections', pool.ready_connections),
        gauge('spares', 'Spare connections', pool.spares),
        gauge('utilization', 'Busy share of connection capacity', pool.utilization),
        gauge('queue_depth', 'Queued inference requests', pool.queue_depth),
        gauge('completed', 'Inferences completed', pool.completed),
        gauge('errors', 'Inference errors', pool.errors),
        gauge('memory_bytes', 'Page heap bytes where the browser exposes them', pool.memory_bytes),
      );
    }
    return `${out.join('\n')}\n`;
  }
}
