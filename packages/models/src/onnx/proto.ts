/**
 * The ONNX protobuf classes (onnx-proto) and the plain shapes of decoded messages, for the modules that read or
 * rewrite graphs. Decoded messages nest the generated interface types, whose fields are optional.
 */
import onnxProto from 'onnx-proto';

export const { onnx } = onnxProto;

export type TensorProto = Parameters<(typeof onnx)['TensorProto']['create']>[0] & object;
export type GraphProto = Parameters<(typeof onnx)['GraphProto']['create']>[0] & object;
export type NodeProto = Parameters<(typeof onnx)['NodeProto']['create']>[0] & object;
export type AttributeProto = Parameters<(typeof onnx)['AttributeProto']['create']>[0] & object;
export type ValueInfoProto = Parameters<(typeof onnx)['ValueInfoProto']['create']>[0] & object;
