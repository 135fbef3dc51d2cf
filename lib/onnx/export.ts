/**
 * `exportOnnx`: a trained network as an ONNX model file (opset 13), for ONNX Runtime and any
 * other ONNX reader. The input is [N, …inputShape] with N free; the output is the logits, [N, classes].
 */
import { basename, dirname } from 'node:path';
import type { Layer, Variables } from '../layers/layer.ts';
import type { Shape } from '../tensor.ts';
import { writeAtomic } from '../train/checkpoint-files.ts';
import { networkGraph, type GraphOptions } from './graph.ts';
import { DataType, encodeModel, IR_VERSION, OPSET_VERSION, type DimValue, type ModelValue, type ValueInfoValue } from './proto.ts';

/** Options of `exportOnnx`. */
export interface OnnxExportOptions extends GraphOptions {
  /** The batch dimension's symbolic name (default "N"). */
  readonly batchDim?: string;
  /** The graph's name (default "tenfold"). */
  readonly graphName?: string;
  /** Free text stored as the model's doc_string (e.g. what it was trained on). */
  readonly docString?: string;
}

/** The producer named in exported files. */
export const PRODUCER_NAME = 'tenfold';

const valueInfo = (name: string, batch: string, shape: Shape): ValueInfoValue => ({
  name,
  type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimParam: batch } as DimValue, ...shape.map((d): DimValue => ({ dimValue: d }))] } } },
});

/** The ONNX model of a network as plain objects (what `exportOnnx` encodes). */
export const onnxModel = (net: Layer, variables: Variables, inputShape: Shape, options: OnnxExportOptions = {}): ModelValue => {
  const g = networkGraph(net, variables, inputShape, options);
  const batch = options.batchDim ?? 'N';
  return {
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET_VERSION }],
    producerName: PRODUCER_NAME,
    ...(options.docString === undefined ? {} : { docString: options.docString }),
    graph: {
      name: options.graphName ?? 'tenfold',
      node: g.nodes,
      initializer: g.initializers,
      input: [valueInfo(g.inputName, batch, inputShape)],
      output: [valueInfo(g.outputName, batch, g.outputShape)],
    },
  };
};

/**
 * A trained network as ONNX file bytes (opset 13). `inputShape` is per example, as for `init`
 * ([1, 28, 28] or [784]). Batch norm after a plain conv2d/affine is folded into it unless
 * `foldBatchNorm: false`; dropout is left out. Throws, naming the layer's path and kind, for a
 * layer with no ONNX mapping, and for variables that do not fit the network.
 */
export const exportOnnx = (net: Layer, variables: Variables, inputShape: Shape, options: OnnxExportOptions = {}): Uint8Array =>
  encodeModel(onnxModel(net, variables, inputShape, options));

/** `exportOnnx` written to a file atomically (a crash leaves the old file or none, never half of one). */
export const saveOnnx = (file: string, net: Layer, variables: Variables, inputShape: Shape, options: OnnxExportOptions = {}): Uint8Array => {
  const bytes = exportOnnx(net, variables, inputShape, options);
  writeAtomic(dirname(file), basename(file), bytes);
  return bytes;
};
