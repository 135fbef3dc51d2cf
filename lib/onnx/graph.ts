/**
 * A network as an ONNX graph: its layers are walked through their recorded specs (`specOf`), not
 * run, and each becomes ONNX nodes reading its trained values as initializers. Parameter paths
 * follow the tenfold tree (conv1/W, block/f/affine1/b), so a node is found by its layer's path.
 */
import { layerFromSpec, specOf, type LayerSpec, type SpecValue } from '../layers/describe.ts';
import { EMPTY, type Layer, type Variables } from '../layers/layer.ts';
import { pairOf, type Pair } from '../layers/window.ts';
import { key } from '../random.ts';
import { sameShape, showShape, type Shape, type Tensor } from '../tensor.ts';
import { isTensor, leaves, type Tree, type TreeRecord } from '../tree.ts';
import { AttributeType, DataType, type AttributeValue, type NodeValue, type TensorValue } from './proto.ts';

/** How batch norm and the graph's ends are written. */
export interface GraphOptions {
  /**
   * true (default): a batch norm right after a plain conv2d or affine is folded into its weights
   * and bias; any other batch norm stays a BatchNormalization node. false: every one is a node.
   */
  readonly foldBatchNorm?: boolean;
  /** The graph input's name (default "input"). */
  readonly inputName?: string;
  /** The graph output's name (default "logits"). */
  readonly outputName?: string;
}

/** The nodes and initializers of a network, with the per-example shape of its output. */
export interface NetworkGraph {
  readonly nodes: readonly NodeValue[];
  readonly initializers: readonly TensorValue[];
  readonly inputName: string;
  readonly outputName: string;
  readonly outputShape: Shape;
}

const ints = (name: string, values: readonly number[]): AttributeValue => ({ name, type: AttributeType.INTS, ints: values });
const int = (name: string, i: number): AttributeValue => ({ name, type: AttributeType.INT, i });
const float = (name: string, f: number): AttributeValue => ({ name, type: AttributeType.FLOAT, f });

/** Float32 values as the little-endian bytes of TensorProto.raw_data (explicitly LE, whatever the host). */
const rawFloats = (values: ArrayLike<number>): Uint8Array => {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(4 * i, values[i], true);
  return bytes;
};

type SpecRecord = { readonly [k: string]: SpecValue };

const isRecord = (v: SpecValue | undefined): v is SpecRecord => typeof v === 'object' && v !== null && !Array.isArray(v);

const isLayerArg = (v: SpecValue | undefined): v is { readonly layer: LayerSpec } =>
  isRecord(v) && 'layer' in v && Object.keys(v).length === 1;

const optionsArg = (v: SpecValue | undefined): SpecRecord => (isRecord(v) ? v : {});

/** A spec argument as a window size (a number or [h, w]). */
const pairArg = (v: SpecValue | undefined, fallback: Pair): Pair => {
  if (typeof v === 'number') return v;
  if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'number' && typeof v[1] === 'number') return [v[0], v[1]];
  return fallback;
};

const join = (path: string, name: string): string => (path === '' ? name : `${path}/${name}`);
const shown = (path: string): string => (path === '' ? '(the network itself)' : path);

/** A subtree of params or state by key (empty when absent: layers without parameters have none). */
const subtree = (tree: TreeRecord, k: string): TreeRecord => {
  const t: Tree | undefined = tree[k];
  return t === undefined || isTensor(t) ? EMPTY : t;
};

/** The stride s with ⌊(n−1)/s⌋ + 1 = m, as residual's 1×1 projection picks it. */
const strideFor = (n: number, m: number): number | undefined => {
  for (let s = 1; s <= n; s++) if (Math.floor((n - 1) / s) + 1 === m) return s;
  return undefined;
};

/** A sequential's children with their parameter-tree names, named exactly as `sequential` names them. */
const childrenOf = (spec: LayerSpec, path: string): readonly { readonly name: string; readonly spec: LayerSpec }[] => {
  const counts = new Map<string, number>();
  return spec.args.map((a, i) => {
    const named = Array.isArray(a) && a.length === 2 && typeof a[0] === 'string' ? a : undefined;
    const arg = named === undefined ? a : named[1];
    if (!isLayerArg(arg)) throw new Error(`exportOnnx: ${shown(path)}: argument ${i + 1} of the sequential is not a layer`);
    if (named !== undefined) return { name: named[0] as string, spec: arg.layer };
    const base = layerFromSpec(arg.layer).name;
    const c = (counts.get(base) ?? 0) + 1;
    counts.set(base, c);
    return { name: `${base}${c}`, spec: arg.layer };
  });
};

/** A plain conv2d or affine: a batch norm right after it folds into its weights. */
const foldable = (spec: LayerSpec): boolean => {
  if (spec.kind === 'affine') return true;
  if (spec.kind !== 'conv2d') return false;
  const o = optionsArg(spec.args[3]);
  return (o.activation === undefined || o.activation === null || o.activation === 'none') && (o.pool === undefined || o.pool === null);
};

/** A batch norm to fold into the layer before it: its parameters, running statistics and options. */
interface Fold {
  readonly path: string;
  readonly params: TreeRecord;
  readonly state: TreeRecord;
  readonly spec: LayerSpec;
}

interface Value { readonly name: string; readonly shape: Shape }

/** The ONNX nodes and initializers of `net`, given per-example `inputShape` and trained variables. */
export const networkGraph = (net: Layer, variables: Variables, inputShape: Shape, options: GraphOptions = {}): NetworkGraph => {
  const fold = options.foldBatchNorm ?? true;
  const inputName = options.inputName ?? 'input';
  const outputName = options.outputName ?? 'logits';
  const spec = specOfNetwork(net);
  checkVariables(net, variables, inputShape);

  const nodes: NodeValue[] = [];
  const initializers: TensorValue[] = [];
  const used = new Set<string>([inputName]);
  const unique = (base: string): string => {
    let name = base;
    for (let i = 2; used.has(name); i++) name = `${base}_${i}`;
    used.add(name);
    return name;
  };
  /** Adds a node named after its output; returns the output's name. */
  const node = (opType: string, base: string, input: readonly string[], attribute: readonly AttributeValue[] = [], docString?: string): string => {
    const name = unique(base === '' ? opType : base);
    nodes.push({ name, opType, input, output: [name], attribute, ...(docString === undefined ? {} : { docString }) });
    return name;
  };
  const constant = (base: string, dims: readonly number[], values: ArrayLike<number>): string => {
    const name = unique(base);
    initializers.push({ name, dims, dataType: DataType.FLOAT, rawData: rawFloats(values) });
    return name;
  };
  const param = (tree: TreeRecord, k: string, path: string): Tensor => {
    const t: Tree | undefined = tree[k];
    if (t === undefined || !isTensor(t)) throw new Error(`exportOnnx: ${shown(path)} has no parameter "${k}"`);
    return t;
  };
  const tensorInit = (t: Tensor, path: string): string => constant(path, t.shape, t.data);
  const flat = (x: Value, path: string): Value =>
    (x.shape.length <= 1 ? x : { name: node('Flatten', path, [x.name], [int('axis', 1)]), shape: [x.shape.reduce((a, b) => a * b, 1)] });

  /**
   * W and b of a conv (out first) or affine (out last), with a following batch norm folded in:
   * W·s and (b − μ)·s + β per output, s = γ/√(var + eps), computed in float64.
   */
  const weights = (path: string, params: TreeRecord, outAxisFirst: boolean, bn: Fold | undefined): { readonly W: string; readonly b: string } => {
    const W = param(params, 'W', path);
    const b = param(params, 'b', path);
    if (bn === undefined) return { W: tensorInit(W, join(path, 'W')), b: tensorInit(b, join(path, 'b')) };
    const gamma = param(bn.params, 'gamma', bn.path);
    const beta = param(bn.params, 'beta', bn.path);
    const mean = param(bn.state, 'mean', bn.path);
    const variance = param(bn.state, 'variance', bn.path);
    const eps = typeof optionsArg(bn.spec.args[0]).eps === 'number' ? optionsArg(bn.spec.args[0]).eps as number : 1e-5;
    const outs = b.size;
    const s = Array.from({ length: outs }, (_, o) => gamma.data[o] / Math.sqrt(variance.data[o] + eps));
    const inner = W.size / outs;
    const w = new Float64Array(W.size);
    for (let i = 0; i < W.size; i++) w[i] = W.data[i] * s[outAxisFirst ? Math.floor(i / inner) : i % outs];
    const bias = Array.from({ length: outs }, (_, o) => (b.data[o] - mean.data[o]) * s[o] + beta.data[o]);
    return { W: constant(join(path, 'W'), W.shape, w), b: constant(join(path, 'b'), b.shape, bias) };
  };

  const relu = (x: Value, path: string): Value => ({ name: node('Relu', path, [x.name]), shape: x.shape });

  /** Emits one layer's nodes; `bn` is a batch norm folded into it (only for a plain conv2d or affine). */
  const emit = (s: LayerSpec, path: string, x: Value, params: TreeRecord, state: TreeRecord, bn?: Fold): Value => {
    const outputShape = (): Shape => layerFromSpec(s).init(key(0), x.shape).outputShape;
    const foldedDoc = bn === undefined ? undefined : `batch norm ${bn.path} folded in`;
    switch (s.kind) {
      case 'sequential': {
        const children = childrenOf(s, path);
        let y = x;
        for (let i = 0; i < children.length; i++) {
          const c = children[i];
          const next = children[i + 1];
          const childPath = join(path, c.name);
          if (fold && next !== undefined && next.spec.kind === 'batchNorm' && foldable(c.spec)) {
            const f: Fold = { path: join(path, next.name), params: subtree(params, next.name), state: subtree(state, next.name), spec: next.spec };
            y = emit(c.spec, childPath, y, subtree(params, c.name), subtree(state, c.name), f);
            if (optionsArg(next.spec.args[0]).activation === 'relu') y = relu(y, join(f.path, 'relu'));
            i++;
          } else {
            y = emit(c.spec, childPath, y, subtree(params, c.name), subtree(state, c.name));
          }
        }
        return y;
      }
      case 'conv2d': {
        const o = optionsArg(s.args[3]);
        const kh = s.args[1] as number;
        const kw = typeof s.args[2] === 'number' ? s.args[2] : kh;
        const stride = pairOf('conv2d', 'stride', pairArg(o.stride, 1), 1);
        const pad = pairOf('conv2d', 'pad', pairArg(o.pad, 0), 0);
        const { W, b } = weights(path, params, true, bn);
        const out = outputShape();
        let y: Value = {
          name: node('Conv', path, [x.name, W, b], [ints('kernel_shape', [kh, kw]), ints('pads', [pad[0], pad[1], pad[0], pad[1]]), ints('strides', stride)], foldedDoc),
          shape: out,
        };
        if (o.activation === 'relu') y = relu(y, join(path, 'relu'));
        if (typeof o.pool === 'number') {
          y = { name: node('MaxPool', join(path, 'pool'), [y.name], [ints('kernel_shape', [o.pool, o.pool]), ints('strides', [o.pool, o.pool])]), shape: out };
        }
        return y;
      }
      case 'affine': {
        const v = flat(x, join(path, 'flatten'));
        const { W, b } = weights(path, params, false, bn);
        return { name: node('Gemm', path, [v.name, W, b], [], foldedDoc), shape: outputShape() };
      }
      case 'batchNorm': {
        const o = optionsArg(s.args[0]);
        const eps = typeof o.eps === 'number' ? o.eps : 1e-5;
        const inputs = [
          tensorInit(param(params, 'gamma', path), join(path, 'gamma')), tensorInit(param(params, 'beta', path), join(path, 'beta')),
          tensorInit(param(state, 'mean', path), join(path, 'mean')), tensorInit(param(state, 'variance', path), join(path, 'variance')),
        ];
        const y = { name: node('BatchNormalization', path, [x.name, ...inputs], [float('epsilon', eps)]), shape: x.shape };
        return o.activation === 'relu' ? relu(y, join(path, 'relu')) : y;
      }
      case 'maxPool2d':
      case 'avgPool2d': {
        const k = pairOf(s.kind, 'window', pairArg(s.args[0], 1), 1);
        const stride = pairOf(s.kind, 'stride', pairArg(s.args[1], k), 1);
        const pad = pairOf(s.kind, 'pad', pairArg(s.args[2], 0), 0);
        const attrs = [ints('kernel_shape', k), ints('strides', stride), ints('pads', [pad[0], pad[1], pad[0], pad[1]])];
        // tenfold's average divides by the whole window, padding included
        if (s.kind === 'avgPool2d') attrs.push(int('count_include_pad', 1));
        return { name: node(s.kind === 'maxPool2d' ? 'MaxPool' : 'AveragePool', path, [x.name], attrs), shape: outputShape() };
      }
      case 'globalAvgPool': {
        const pooled = node('GlobalAveragePool', path, [x.name]);
        // ONNX keeps [N, C, 1, 1]; tenfold's layer gives [N, C]
        return { name: node('Flatten', join(path, 'flatten'), [pooled], [int('axis', 1)]), shape: outputShape() };
      }
      case 'flatten':
        return flat(x, path);
      case 'dropout':
        // the identity at inference
        return x;
      case 'reluLayer':
        return relu(x, path);
      case 'sigmoidLayer':
        return { name: node('Sigmoid', path, [x.name]), shape: x.shape };
      case 'tanhLayer':
        return { name: node('Tanh', path, [x.name]), shape: x.shape };
      case 'residual': {
        const f = s.args[0];
        if (!isLayerArg(f)) throw new Error(`exportOnnx: ${shown(path)}: the residual's f is not a layer`);
        const inner = emit(f.layer, join(path, 'f'), x, subtree(params, 'f'), subtree(state, 'f'));
        const projParams = params.proj;
        let shortcut = x.name;
        if (projParams !== undefined && !isTensor(projParams)) {
          const pp = join(path, 'proj');
          const W = tensorInit(param(projParams, 'W', pp), join(pp, 'W'));
          const b = tensorInit(param(projParams, 'b', pp), join(pp, 'b'));
          if (x.shape.length === 1) {
            shortcut = node('Gemm', pp, [x.name, W, b]);
          } else {
            const sh = strideFor(x.shape[1], inner.shape[1]);
            const sw = strideFor(x.shape[2], inner.shape[2]);
            if (sh === undefined || sw === undefined) throw new Error(`exportOnnx: ${pp}: no 1×1 stride maps ${showShape(x.shape)} to ${showShape(inner.shape)}`);
            shortcut = node('Conv', pp, [x.name, W, b], [ints('kernel_shape', [1, 1]), ints('strides', [sh, sw])]);
          }
        }
        return { name: node('Add', path, [shortcut, inner.name]), shape: inner.shape };
      }
      default:
        throw new Error(`exportOnnx: layer ${shown(path)} is a ${s.kind}, which has no ONNX mapping`);
    }
  };

  const out = emit(spec, '', { name: inputName, shape: inputShape }, variables.params, variables.state);
  // the graph's output carries the chosen name: rename the node that makes it (or copy the input through)
  if (out.name === inputName) {
    nodes.push({ name: outputName, opType: 'Identity', input: [inputName], output: [outputName], attribute: [] });
  } else {
    const i = nodes.findIndex((n) => n.output[0] === out.name);
    nodes[i] = { ...nodes[i], output: [outputName] };
  }
  return { nodes, initializers, inputName, outputName, outputShape: out.shape };
};

/** The network's spec, or an error naming the layer that was not made by a library constructor. */
const specOfNetwork = (net: Layer): LayerSpec => {
  let spec: LayerSpec | undefined;
  try {
    spec = specOf(net);
  } catch (err) {
    const m = /^(.*): the layer "(.*)" was not made by a library constructor/.exec((err as Error).message);
    if (m === null) throw err;
    throw new Error(`exportOnnx: the layer "${m[2]}" (${m[1]}) is a hand-written layer, not made by a library constructor: its kind is unknown, so it has no ONNX mapping`);
  }
  if (spec === undefined) {
    throw new Error(`exportOnnx: the network "${net.name}" is a hand-written layer, not made by a library constructor: its kind is unknown, so it has no ONNX mapping`);
  }
  return spec;
};

/** Refuses variables whose paths or shapes differ from what the network makes for this input shape. */
const checkVariables = (net: Layer, v: Variables, inputShape: Shape): void => {
  let fresh;
  try {
    fresh = net.init(key(0), inputShape);
  } catch (err) {
    throw new Error(`exportOnnx: the network does not take input shape ${showShape(inputShape)}: ${(err as Error).message}`);
  }
  const problems: string[] = [];
  for (const [what, want, got] of [['parameter', fresh.params, v.params], ['state', fresh.state, v.state]] as const) {
    const have = new Map(leaves(got));
    for (const [path, t] of leaves(want)) {
      const g = have.get(path);
      if (g === undefined) problems.push(`${what} ${path} is missing`);
      else if (!sameShape(g.shape, t.shape)) problems.push(`${what} ${path} is ${showShape(g.shape)}, not ${showShape(t.shape)}`);
      have.delete(path);
    }
    for (const path of have.keys()) problems.push(`${what} ${path} is not in the network`);
  }
  if (problems.length > 0) throw new Error(`exportOnnx: the variables do not fit the network: ${problems.join('; ')}`);
};
