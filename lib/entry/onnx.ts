/** `tenfold/onnx`: trained networks as ONNX model files (opset 13), for ONNX Runtime and other readers. */
export { exportOnnx, onnxModel, PRODUCER_NAME, saveOnnx, type OnnxExportOptions } from '../onnx/export.ts';
export { networkGraph, type GraphOptions, type NetworkGraph } from '../onnx/graph.ts';
export { decodeModel as decodeOnnxModel, IR_VERSION, OPSET_VERSION, type ModelValue as OnnxModelValue } from '../onnx/proto.ts';
