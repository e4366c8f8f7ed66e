/** Node API of the browser harness: launch browsers whose worker pages run ONNX models, and talk to them. */
export * from './node/bridge';
export * from './node/connection';
export * from './node/drivers/chromium';
export * from './node/drivers/firefox';
export * from './node/drivers/remote';
export * from './node/drivers/remote-firefox';
export * from './node/drivers/types';
export * from './node/harness';
export * from './node/page-server';
export * from './node/paths';
export * from './node/render-page';
export * from './node/rpc-channel';
export * from './node/run-order';
export * from './node/tensor-handle';
export * from './protocol';
