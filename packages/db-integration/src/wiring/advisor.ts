/**
 * Routing advice from stored history: a snapshot of recommendations, refreshed in the background, read
 * synchronously by the pool at `getModel`. Thin history (fewer samples than `minSamples`, or low confidence)
 * gives no advice, and the pool falls back to its static affinity.
 */
import type { BrowserRecommendation, RoutingAdvice, RoutingAdvisor } from '@browser-pool/pool';

const BROWSERS: readonly string[] = ['chromium', 'firefox', 'edge'];
const BACKENDS: readonly string[] = ['webgpu', 'webnn', 'wasm'];

export class HistoryAdvisor implements RoutingAdvisor {
  private byModel = new Map<string, RoutingAdvice>();
  private byType = new Map<string, RoutingAdvice>();

  constructor(private readonly minSamples = 30) {}

  /** Replaces the snapshot. */
  update(recommendations: readonly BrowserRecommendation[]): void {
    const byModel = new Map<string, RoutingAdvice>();
    const byType = new Map<string, RoutingAdvice>();
    for (const r of recommendations) {
      if (r.samples < this.minSamples || r.confidence === 'low' || !BROWSERS.includes(r.browser)) {
        continue;
      }
      const advice: RoutingAdvice = {
        browser: r.browser as RoutingAdvice['browser'],
        backend: BACKENDS.includes(r.backend) ? (r.backend as RoutingAdvice['backend']) : undefined,
        samples: r.samples,
        reason: `stored history (${r.confidence} confidence): ${r.reason}`,
      };
      if (r.model === undefined) {
        byType.set(r.modelType, advice);
      } else {
        byModel.set(r.model, advice);
      }
    }
    this.byModel = byModel;
    this.byType = byType;
  }

  advise(modelType: string, modelName: string): RoutingAdvice | undefined {
    return this.byModel.get(modelName) ?? this.byType.get(modelType);
  }
}
