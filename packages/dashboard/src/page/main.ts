/** Dashboard entry: load the snapshot (served beside this page under snapshot/), then render each view. */
import { openSnapshot } from './db';
import { compatibilityView } from './views/compatibility';
import { type Filter, filterBar, NO_FILTER } from './views/filters';
import { latencyView } from './views/latency';
import { optimizationView } from './views/optimization';
import { recommendationsView } from './views/recommendations';
import { sqlView } from './views/sql-box';
import { timeSeriesView } from './views/timeseries';

async function boot(): Promise<void> {
  const status = document.getElementById('status')!;
  const views = document.getElementById('views')!;
  const started = performance.now();
  const db = await openSnapshot(new URL('snapshot/', document.baseURI));
  const latency = latencyView();
  const series = timeSeriesView();
  const impact = optimizationView();
  const apply = async (f: Filter): Promise<void> => {
    await latency.update(db, f);
    await series.update(db, f);
    await impact.update(db, f);
  };
  const bar = await filterBar(db, (f) => {
    status.dataset.state = 'filtering';
    const start = performance.now();
    apply(f).then(() => {
      performance.measure('filter', { start });
      status.dataset.state = 'ready';
    }, (e: unknown) => fail(e));
  });
  views.append(await recommendationsView(db), await compatibilityView(db), bar, latency.el, series.el, impact.el, await sqlView(db));
  await apply(NO_FILTER);
  const rows = db.manifest.tables.reduce((a, t) => a + t.rows, 0);
  status.textContent = `Snapshot of ${db.manifest.createdAt} (schema v${db.manifest.schemaVersion}): ${db.manifest.tables.length} tables, ${rows} rows, loaded in ${Math.round(performance.now() - started)} ms.`;
  performance.measure('first-view', { start: started });
  status.dataset.state = 'ready';
}

function fail(error: unknown): void {
  const status = document.getElementById('status')!;
  status.textContent = `Could not load the dashboard: ${error instanceof Error ? error.message : String(error)}`;
  status.dataset.state = 'error';
}

boot().catch(fail);
