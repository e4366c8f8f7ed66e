/** Where a model was placed first, as the handle and the `model:loaded` event report it. */
import type { Placement } from './model-handle';
import type { LoadedModel, PoolConnection } from './pool-connection';
import type { PoolModel } from './pool-model';
import type { RoutingDecision } from './routing/policy';

/** wasm counts as real hardware (CPU by design); webgpu on a software adapter does not, and says why. */
export function placementOf(connection: PoolConnection, decision: RoutingDecision, loaded: LoadedModel, model: PoolModel): Placement {
  const webgpu = connection.capabilities.webgpu;
  const onGpu = loaded.session.backend === 'webgpu';
  const software = onGpu && webgpu.available && !webgpu.isRealHardware;
  return {
    connectionId: connection.id,
    browser: connection.browser,
    browserVersion: connection.connection.browserVersion,
    preferredBrowser: decision.preferredBrowser,
    browserFallbackReason: decision.fallbackReason,
    requestedBackends: [...model.backends],
    routing: model.routing,
    backend: loaded.session.backend,
    fallbacks: loaded.fallbacks,
    adapter: onGpu ? webgpu : undefined,
    isRealHardware: onGpu ? !software : loaded.session.backend === 'wasm',
    softwareReason: software ? webgpu.softwareReason : undefined,
  };
}
