/**
 * What the pool asks of a measurement database, defined here so that `pool` never imports `db-integration`:
 * db-integration implements `PoolDatabase` (recorder, reports, recommendations, routing advice) and the wiring
 * (`createPool` in the cli package) passes it in `PoolOptions.database`.
 */
import type { Backend, BrowserKind } from '@browser-pool/browser-harness';
import type { ModelType } from '@browser-pool/models';

import type { PoolEvents } from './events';
import type { PoolStats } from './stats';

/** The pool as a recorder sees it: typed events and snapshots. */
export interface PoolEventSource {
  on<K extends keyof PoolEvents>(event: K, listener: (...args: PoolEvents[K]) => void): unknown;
  off<K extends keyof PoolEvents>(event: K, listener: (...args: PoolEvents[K]) => void): unknown;
  stats(): PoolStats;
}

/** Where stored history says a model should run. */
export interface RoutingAdvice {
  browser: BrowserKind;
  /** Best backend on that browser; undefined when history compares browsers only. */
  backend: Backend | undefined;
  /** Inference samples behind the advice. */
  samples: number;
  /** Human-readable: which measurement won, by how much, on what hardware. */
  reason: string;
}

/** Synchronous on purpose: advice is a lookup in a snapshot the database refreshes in the background. */
export interface RoutingAdvisor {
  advise(modelType: ModelType, modelName: string): RoutingAdvice | undefined;
}

export type ReportFormat = 'markdown' | 'html' | 'json' | 'csv';

export interface PerformanceReportRequest {
  /** @default 'markdown' */
  format?: ReportFormat;
  /** Only this model. @default all */
  model?: string;
  /** Only this browser. @default all */
  browser?: string;
  /** Only the last N days. @default 30 */
  days?: number;
}

export interface VisualizationRequest {
  /** @default ['latency', 'throughput'] */
  metrics?: ('latency' | 'throughput' | 'memory')[];
  /** @default 30 */
  days?: number;
  /** @default all */
  model?: string;
  /** Where to write the chart; `.svg` or `.png` (rendered in Chromium). */
  outputFile: string;
}

/** One recommendation: the best measured browser + backend for a model type (model undefined) or a single model. */
export interface BrowserRecommendation {
  modelType: ModelType;
  model: string | undefined;
  browser: string;
  backend: string;
  /** Median in-page latency of the winner (ms), and its throughput (inferences/s) where measured. */
  p50LatencyMs: number;
  throughput: number | undefined;
  samples: number;
  confidence: 'high' | 'medium' | 'low';
  /** false when the winner ran on a software WebGPU adapter (chosen only because nothing else was measured). */
  isRealHardware: boolean;
  reason: string;
}

export interface PoolDatabase {
  /** Called once when the pool starts, before the first browser launches. */
  attach(pool: PoolEventSource): Promise<void>;
  /** Present when the database can advise routing; the pool uses it unless `routingHistory` is false. */
  readonly advisor: RoutingAdvisor | undefined;
  performanceReport(request?: PerformanceReportRequest): Promise<string>;
  /** Writes the chart file and returns its path. */
  performanceVisualization(request: VisualizationRequest): Promise<string>;
  browserRecommendations(): Promise<BrowserRecommendation[]>;
  /** Flushes everything recorded and closes the file; called by `pool.close()`. */
  close(): Promise<void>;
}
