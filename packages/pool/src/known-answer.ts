/**
 * The known-answer health check: a tiny generated model with fixed inputs whose output onnxruntime-node computed in
 * Node. A page that answers pings but computes wrong (or not at all) fails it.
 */
import { CircuitOpenError, type TensorMap } from '@browser-pool/browser-harness';
import { loadModelBytes, maxAbsDiff, type ModelCatalogue, runReference } from '@browser-pool/models';

import type { PoolConnection } from './pool-connection';
import type { PoolModel } from './pool-model';

const MODEL = 'bert-tiny';
const TOLERANCE = 1e-4;

interface Prepared {
  model: PoolModel;
  inputs: TensorMap;
  expected: TensorMap;
}

/**
 * `pass` or `fail` when the check ran; `not run` when the connection's breaker refused it (open, or half-open with its
 * probe already out): that says nothing about the page's answers, so it neither quarantines nor releases.
 */
export interface KnownAnswerOutcome {
  verdict: 'pass' | 'fail' | 'not run';
  pingMs: number | undefined;
  detail: string;
}

export class KnownAnswer {
  private prepared: Promise<Prepared> | undefined;

  constructor(private readonly catalogue: ModelCatalogue) {}

  async check(pc: PoolConnection): Promise<KnownAnswerOutcome> {
    const { model, inputs, expected } = await (this.prepared ??= this.prepare());
    const pingMs = await pc.connection.ping({ timeoutMs: 5000 });
    pc.stats.pingMs = pingMs;
    try {
      const { result } = await pc.healthRun(model, inputs, Date.now() + 30_000);
      const worst = Math.max(...Object.entries(expected).map(([name, t]) => (result.outputs[name] === undefined ? Infinity : maxAbsDiff(result.outputs[name], t))));
      const ok = worst <= TOLERANCE;
      pc.stats.knownAnswerOk = ok;
      return { verdict: ok ? 'pass' : 'fail', pingMs, detail: `${MODEL} max abs diff ${worst.toExponential(2)} (tolerance ${TOLERANCE})` };
    } catch (error) {
      if (error instanceof CircuitOpenError) {
        return { verdict: 'not run', pingMs, detail: `${MODEL} not run: ${error.message}` };
      }
      pc.stats.knownAnswerOk = false;
      return { verdict: 'fail', pingMs, detail: `${MODEL} failed: ${(error as Error).message}` };
    }
  }

  private async prepare(): Promise<Prepared> {
    const entry = this.catalogue.get(MODEL);
    const source = await entry.source();
    const inputs = entry.sampleInputs({ seed: 1234 });
    const bytes = await loadModelBytes(source);
    const model: PoolModel = {
      key: 'known-answer',
      entry,
      backends: ['wasm'],
      sessionOptions: {},
      pageSource: { kind: 'bytes', bytes },
      bytes: bytes.byteLength,
      // Health checks run on a connection chosen by the health round, never routed.
      preference: [],
      routing: { source: 'static', reason: 'health check' },
    };
    return { model, inputs, expected: await runReference(source, inputs) };
  }
}
