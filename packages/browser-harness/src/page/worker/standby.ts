/**
 * A standby copy's first run, made while the page idles: onnxruntime-web's first run of a session allocates and
 * plans (94 ms of compute for bert-tiny's first run vs ~1 ms after, measured in a fresh worker here), which a copy
 * that takes over a lost worker should not pay on the retried call. Inputs are zeros of the model's declared shapes
 * (symbolic dimensions 1); a model these do not suit just stays cold (the failure is ignored).
 */
import { isDType, type NamedTensor, type SessionInfo, typedArrayCtor } from '../../protocol';
import type { SessionManager } from '../sessions';

export async function warmStandby(manager: SessionManager, info: SessionInfo): Promise<void> {
  const inputs: NamedTensor[] = [];
  for (const input of info.inputs) {
    if (input.dtype === null || input.dims === null || !isDType(input.dtype)) {
      return;
    }
    const dims = input.dims.map((d) => (typeof d === 'number' ? d : 1));
    const Ctor = typedArrayCtor(input.dtype);
    inputs.push({ name: input.name, tensor: { dtype: input.dtype, dims, data: new Ctor(dims.reduce((a, b) => a * b, 1)) } });
  }
  await manager.run(info.sessionId, inputs).catch(() => undefined);
}
