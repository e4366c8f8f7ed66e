/**
 * The first three migrations (see migrations.ts): the resource pool's tables, the benchmark schema users carry over
 * from the old system, and the views for common questions. Released: never edit, add the next migration instead.
 */
/** Optimization-flag columns shared by every table that stores a measurement. */
const FLAG_COLUMNS = `
  compute_shader_optimized BOOLEAN,
  precompile_shaders BOOLEAN,
  parallel_loading BOOLEAN,
  mixed_precision BOOLEAN,
  precision_bits INTEGER`;

export const RESOURCE_POOL = `
CREATE TABLE browser_connections (
  id BIGINT PRIMARY KEY,
  recorded_at TIMESTAMP NOT NULL,
  run_id BIGINT NOT NULL,
  event VARCHAR NOT NULL,            -- up | down | unavailable
  connection_id VARCHAR,
  browser VARCHAR NOT NULL,
  browser_version VARCHAR,
  launch_ms DOUBLE,
  reason VARCHAR,
  error_code VARCHAR,
  expected BOOLEAN,                  -- down: planned close (scale down, recycle, pool close) vs crash
  webgpu_available BOOLEAN,
  webnn_available BOOLEAN,
  wasm_simd BOOLEAN,
  wasm_threads BOOLEAN,
  is_real_hardware BOOLEAN,          -- the WebGPU adapter is real GPU hardware
  software_reason VARCHAR,
  adapter_info JSON,
  browser_info JSON
);
CREATE TABLE webnn_webgpu_performance (
  id BIGINT PRIMARY KEY,
  recorded_at TIMESTAMP NOT NULL,
  run_id BIGINT NOT NULL,
  model_name VARCHAR NOT NULL,
  model_type VARCHAR NOT NULL,
  connection_id VARCHAR,
  browser VARCHAR,
  requested_backend VARCHAR NOT NULL,
  backend VARCHAR,                   -- what actually ran
  batch_size INTEGER NOT NULL,
  success BOOLEAN NOT NULL,
  error_code VARCHAR,
  error_message VARCHAR,
  attempts INTEGER,
  compute_ms DOUBLE,                 -- session.run inside the page
  handle_ms DOUBLE,                  -- in-page handling of the call
  end_to_end_ms DOUBLE,              -- Node call to Node reply, successful attempt
  total_ms DOUBLE,                   -- run() to result: queueing and retries included
  first_run BOOLEAN,
  is_real_hardware BOOLEAN,
  is_simulated BOOLEAN NOT NULL,
  simulation_reason VARCHAR,
  adapter_vendor VARCHAR,
  adapter_architecture VARCHAR,${FLAG_COLUMNS}
);
CREATE TABLE resource_pool_metrics (
  id BIGINT PRIMARY KEY,
  recorded_at TIMESTAMP NOT NULL,
  run_id BIGINT NOT NULL,
  connections INTEGER NOT NULL,
  ready_connections INTEGER NOT NULL,
  spares INTEGER NOT NULL,
  utilization DOUBLE NOT NULL,
  queue_depth INTEGER NOT NULL,
  max_queued INTEGER NOT NULL,
  completed BIGINT NOT NULL,
  errors BIGINT NOT NULL,
  memory_bytes BIGINT,               -- sum of page heaps where the browser exposes it
  per_browser JSON,
  per_model JSON,
  unavailable_browsers JSON
);
CREATE TABLE time_series_performance (
  id BIGINT PRIMARY KEY,
  recorded_at TIMESTAMP NOT NULL,    -- end of the aggregation window
  window_start TIMESTAMP NOT NULL,
  run_id BIGINT NOT NULL,
  model_name VARCHAR NOT NULL,
  model_type VARCHAR NOT NULL,
  browser VARCHAR NOT NULL,
  requested_backend VARCHAR NOT NULL,
  backend VARCHAR NOT NULL,
  batch_size INTEGER NOT NULL,
  samples INTEGER NOT NULL,
  mean_ms DOUBLE NOT NULL,           -- end-to-end latency per inference (Node to page to Node)
  p50_ms DOUBLE NOT NULL,
  p90_ms DOUBLE NOT NULL,
  p99_ms DOUBLE NOT NULL,
  stdev_ms DOUBLE NOT NULL,
  compute_p50_ms DOUBLE NOT NULL,    -- in-page session.run
  throughput DOUBLE,                 -- items/s observed over the window's busy span; NULL for one sample
  init_ms DOUBLE,                    -- median session create time of loads in the window
  first_run_ms DOUBLE,
  memory_mb DOUBLE,
  is_real_hardware BOOLEAN NOT NULL,
  is_simulated BOOLEAN NOT NULL,
  simulation_reason VARCHAR,
  adapter_vendor VARCHAR,
  adapter_architecture VARCHAR,${FLAG_COLUMNS},
  git_commit VARCHAR,
  git_branch VARCHAR,
  system_info JSON
);
CREATE TABLE performance_regression (
  id BIGINT PRIMARY KEY,
  detected_at TIMESTAMP NOT NULL,
  series_key VARCHAR NOT NULL,
  source VARCHAR NOT NULL,           -- time_series | benchmark
  model_name VARCHAR NOT NULL,
  browser VARCHAR NOT NULL,
  requested_backend VARCHAR NOT NULL,
  batch_size INTEGER NOT NULL,
  metric VARCHAR NOT NULL,           -- latency | throughput | memory
  detector VARCHAR NOT NULL,         -- threshold | rank-changepoint
  kind VARCHAR NOT NULL,             -- regression | backend_fallback | adapter_change
  severity VARCHAR NOT NULL,         -- low | medium | high
  baseline_value DOUBLE,
  current_value DOUBLE,
  change_pct DOUBLE,
  p_value DOUBLE,
  change_at TIMESTAMP NOT NULL,
  git_commit VARCHAR,
  status VARCHAR NOT NULL DEFAULT 'open',   -- open | acknowledged | resolved
  status_note VARCHAR,
  status_changed_at TIMESTAMP,
  details JSON,
  UNIQUE (series_key, metric, detector, kind, change_at)
);`;

export const BENCHMARK = `
CREATE TABLE models (
  model_id BIGINT PRIMARY KEY,
  model_name VARCHAR NOT NULL UNIQUE,
  model_type VARCHAR,
  model_family VARCHAR,
  source VARCHAR,
  parameters_million DOUBLE,
  metadata JSON,
  added_at TIMESTAMP NOT NULL
);
CREATE TABLE hardware_platforms (
  hardware_id BIGINT PRIMARY KEY,
  hardware_key VARCHAR NOT NULL UNIQUE,
  browser VARCHAR,
  browser_version VARCHAR,
  backend VARCHAR,
  adapter_vendor VARCHAR,
  adapter_architecture VARCHAR,
  is_real_hardware BOOLEAN NOT NULL,
  software_reason VARCHAR,
  host VARCHAR,
  os VARCHAR,
  cpu VARCHAR,
  cores INTEGER,
  memory_gb DOUBLE,
  adapter_info JSON,
  browser_info JSON,
  added_at TIMESTAMP NOT NULL
);
CREATE TABLE test_runs (
  run_id BIGINT PRIMARY KEY,
  test_name VARCHAR NOT NULL,
  test_type VARCHAR NOT NULL,        -- pool | benchmark | import | integration
  started_at TIMESTAMP NOT NULL,
  ended_at TIMESTAMP,
  git_commit VARCHAR,
  git_branch VARCHAR,
  command_line VARCHAR,
  success BOOLEAN,
  metadata JSON
);
CREATE TABLE performance_results (
  result_id BIGINT PRIMARY KEY,
  run_id BIGINT,
  model_id BIGINT NOT NULL,
  hardware_id BIGINT NOT NULL,
  batch_size INTEGER NOT NULL,
  precision VARCHAR,
  sequence_length INTEGER,
  requested_backend VARCHAR,
  warmup_iterations INTEGER,
  iterations INTEGER,
  mean_latency_ms DOUBLE,
  p50_latency_ms DOUBLE,
  p90_latency_ms DOUBLE,
  p99_latency_ms DOUBLE,
  stdev_latency_ms DOUBLE,
  throughput_items_per_s DOUBLE,
  memory_peak_mb DOUBLE,
  init_ms DOUBLE,
  first_run_ms DOUBLE,${FLAG_COLUMNS},
  is_simulated BOOLEAN NOT NULL,
  simulation_reason VARCHAR,
  created_at TIMESTAMP NOT NULL,
  metrics JSON
);
CREATE TABLE hardware_compatibility (
  compat_id BIGINT PRIMARY KEY,
  run_id BIGINT,
  model_id BIGINT NOT NULL,
  hardware_id BIGINT NOT NULL,
  is_compatible BOOLEAN NOT NULL,
  error_code VARCHAR,
  error_message VARCHAR,
  detected_at TIMESTAMP NOT NULL
);
CREATE TABLE integration_test_results (
  test_result_id BIGINT PRIMARY KEY,
  run_id BIGINT,
  test_module VARCHAR NOT NULL,
  test_class VARCHAR,
  test_name VARCHAR NOT NULL,
  status VARCHAR NOT NULL,           -- pass | fail | error | skip
  execution_time_s DOUBLE,
  hardware_id BIGINT,
  model_id BIGINT,
  error_message VARCHAR,
  created_at TIMESTAMP NOT NULL,
  metadata JSON
);
-- Filled only where power is really measured (nothing in a browser page measures it today).
CREATE TABLE power_metrics (
  power_id BIGINT PRIMARY KEY,
  run_id BIGINT,
  result_id BIGINT,
  hardware_id BIGINT,
  power_watts_avg DOUBLE,
  power_watts_peak DOUBLE,
  energy_joules DOUBLE,
  temperature_c DOUBLE,
  source VARCHAR NOT NULL,
  recorded_at TIMESTAMP NOT NULL
);
CREATE TABLE hardware_availability_log (
  log_id BIGINT PRIMARY KEY,
  checked_at TIMESTAMP NOT NULL,
  run_id BIGINT,
  browser VARCHAR NOT NULL,
  browser_version VARCHAR,
  backend VARCHAR NOT NULL,          -- webgpu | webnn-cpu | webnn-gpu | webnn-npu | wasm | * (whole browser)
  available BOOLEAN NOT NULL,
  is_real_hardware BOOLEAN,
  reason VARCHAR,
  details JSON
);
CREATE TABLE migration_tracking (
  file_id BIGINT PRIMARY KEY,
  file_path VARCHAR NOT NULL,
  file_hash VARCHAR NOT NULL UNIQUE,
  imported_at TIMESTAMP NOT NULL,
  status VARCHAR NOT NULL,           -- imported | failed
  rows_imported INTEGER NOT NULL,
  error VARCHAR
);`;

export const VIEWS = `
-- Every stored measurement, pool time series and benchmark results alike, in one shape for analysis.
CREATE VIEW measurements AS
SELECT 'time_series' AS source, t.recorded_at, t.run_id, t.model_name, t.model_type, t.browser, t.requested_backend,
       t.backend, t.batch_size, t.samples, t.mean_ms, t.p50_ms, t.p90_ms, t.p99_ms, t.throughput, t.memory_mb,
       t.init_ms, t.first_run_ms, t.is_real_hardware, t.simulation_reason, t.adapter_architecture,
       t.compute_shader_optimized, t.precompile_shaders, t.parallel_loading, t.mixed_precision, t.precision_bits,
       t.git_commit
FROM time_series_performance t
UNION ALL
SELECT 'benchmark', r.created_at, r.run_id, m.model_name, m.model_type, h.browser, coalesce(r.requested_backend, h.backend),
       h.backend, r.batch_size, r.iterations, r.mean_latency_ms, r.p50_latency_ms, r.p90_latency_ms, r.p99_latency_ms,
       r.throughput_items_per_s, r.memory_peak_mb, r.init_ms, r.first_run_ms, h.is_real_hardware,
       coalesce(r.simulation_reason, h.software_reason), h.adapter_architecture,
       r.compute_shader_optimized, r.precompile_shaders, r.parallel_loading, r.mixed_precision, r.precision_bits,
       tr.git_commit
FROM performance_results r
JOIN models m USING (model_id)
JOIN hardware_platforms h USING (hardware_id)
LEFT JOIN test_runs tr USING (run_id);

-- The newest benchmark result per model x hardware x batch size.
CREATE VIEW latest_performance AS
SELECT * EXCLUDE (rn) FROM (
  SELECT m.model_name, m.model_type, h.browser, h.backend, h.adapter_architecture, h.is_real_hardware, r.*,
         row_number() OVER (PARTITION BY r.model_id, r.hardware_id, r.batch_size ORDER BY r.created_at DESC, r.result_id DESC) AS rn
  FROM performance_results r JOIN models m USING (model_id) JOIN hardware_platforms h USING (hardware_id)
) WHERE rn = 1;

-- Latest known outcome per model x browser x backend.
CREATE VIEW compatibility_matrix AS
SELECT * EXCLUDE (rn) FROM (
  SELECT m.model_name, m.model_type, h.browser, h.backend, c.is_compatible, c.error_code, c.error_message, c.detected_at,
         h.is_real_hardware,
         row_number() OVER (PARTITION BY m.model_name, h.browser, h.backend ORDER BY c.detected_at DESC, c.compat_id DESC) AS rn
  FROM hardware_compatibility c JOIN models m USING (model_id) JOIN hardware_platforms h USING (hardware_id)
) WHERE rn = 1;

-- Pool inferences per model x browser x backend x batch size: what web platforms deliver.
CREATE VIEW web_platform_performance AS
SELECT model_name, model_type, browser, backend, batch_size, bool_and(is_real_hardware) AS is_real_hardware,
       count(*) AS inferences, count(*) FILTER (WHERE NOT success) AS failures,
       median(compute_ms) AS compute_p50_ms, median(end_to_end_ms) AS end_to_end_p50_ms,
       quantile_cont(end_to_end_ms, 0.99) AS end_to_end_p99_ms, min(recorded_at) AS first_seen, max(recorded_at) AS last_seen
FROM webnn_webgpu_performance
GROUP BY ALL;`;
