/**
 * GraphBuilder: creates the nodes of a TF GraphDef (JSON form, as model.json carries it) with
 * static shape inference, so a converter learns shapes while it builds and mistakes surface at
 * build time with the node's name instead of at run time inside tfjs.
 *
 * Conventions: image tensors are NHWC; an unknown dimension (the free batch) is -1. Every op
 * helper was checked against the op mappers of tfjs-converter 4.22 (op names, input order and
 * attribute names); ops a mapper marks `notSupported` (e.g. MaxPool's explicit_paddings) are not
 * used, which is why pooling pads with an explicit Pad/PadV2 and then pools VALID.
 */
import { SenetError } from '../errors';
import { attr, AttrValue, DType, NodeDefJson } from './attrs';

/** A misuse of the graph API (bad shapes, duplicate names): names the node involved. */
const PROTOTYPE_KEYS = new Set(Object.getOwnPropertyNames(Object.prototype));

/** True for names every plain JavaScript object answers to (`constructor`, `__proto__`, `toString`, ...). */
export function isObjectPrototypeKey(name: string): boolean {
  return PROTOTYPE_KEYS.has(name);
}

export class GraphBuildError extends SenetError {
  constructor(readonly node: string, readonly detail: string) {
    super(`graph node '${node}': ${detail}`);
  }
}

/** A symbolic tensor: output `index` of node `node`. */
export interface TensorRef {
  readonly node: string;
  readonly index: number;
  /** How other nodes reference it: `node` for output 0, else `node:index`. */
  readonly ref: string;
  /** Static shape; -1 marks an unknown dimension. */
  readonly shape: readonly number[];
  readonly dtype: DType;
}

/**
 * Float32 values made on demand, when the weights are written: a big weight is then produced
 * straight into the writer's reused buffer instead of being held with all the others.
 */
export interface WeightSource {
  /** Number of float32 values. */
  readonly length: number;
  /** Writes every one of the `length` values into `out` (which has exactly that length). */
  writeInto(out: Float32Array): void;
}

export function isWeightSource(d: unknown): d is WeightSource {
  return typeof d === 'object' && d !== null && typeof (d as WeightSource).writeInto === 'function';
}

/** Host data for a constant. */
export interface HostTensor {
  data: Float32Array | Int32Array | WeightSource;
  shape: readonly number[];
}

/** A weight destined for the weight manifest (one per Const node). */
export interface GraphWeight {
  name: string;
  dtype: DType;
  shape: number[];
  data: Float32Array | Int32Array | WeightSource;
}

/** A weight's values in memory (a WeightSource is run into fresh memory). */
export function weightValues(w: GraphWeight): Float32Array | Int32Array {
  if (!isWeightSource(w.data)) return w.data;
  const out = new Float32Array(w.data.length);
  w.data.writeInto(out);
  return out;
}

/** Bytes a weight takes in the shards (4 per value). */
export function weightByteLength(w: GraphWeight): number {
  return isWeightSource(w.data) ? w.data.length * 4 : w.data.byteLength;
}

/**
 * The activation a fused op applies after its bias (TF's fused_ops after "BiasAdd"). Relu is
 * max(x, 0); LeakyRelu is x for x > 0, alpha * x otherwise.
 */
export type FusedActivation = { op: 'Relu' } | { op: 'LeakyRelu'; alpha: number };

/** Spatial options shared by convolutions. Pads are explicit and may be asymmetric. */
export interface Conv2dOptions {
  name?: string;
  /** [strideH, strideW]; default [1, 1]. */
  strides?: readonly [number, number];
  /** [top, bottom, left, right]; default all 0. */
  pads?: readonly [number, number, number, number];
  /** [dilationH, dilationW]; default [1, 1]. tfjs requires strides or dilations to be 1. */
  dilations?: readonly [number, number];
}

export interface Pool2dOptions {
  name?: string;
  /** [kernelH, kernelW]. */
  kernel: readonly [number, number];
  strides?: readonly [number, number];
  /** [top, bottom, left, right], applied by a Pad/PadV2 node before a VALID pool. */
  pads?: readonly [number, number, number, number];
  /**
   * Value the padding is filled with; default -Infinity for max pooling and 0 for average
   * pooling (the zeros count in the divisor).
   */
  padValue?: number;
}

/** One entry of the model signature: a key and the tensor it names. */
export interface SignatureEntry {
  key: string;
  tensor: TensorRef;
}

const dimOk = (d: number): boolean => Number.isInteger(d) && d >= -1;

function product(xs: readonly number[]): number {
  return xs.reduce((a, b) => a * b, 1);
}

export class GraphBuilder {
  private readonly nodes: NodeDefJson[] = [];
  private readonly names = new Set<string>();
  private readonly counters = new Map<string, number>();
  private readonly weightList: GraphWeight[] = [];
  private readonly inputList: SignatureEntry[] = [];
  private readonly outputList: SignatureEntry[] = [];

  /** The nodes, in creation order (a valid topological order). */
  get nodeDefs(): readonly NodeDefJson[] {
    return this.nodes;
  }
  get weights(): readonly GraphWeight[] {
    return this.weightList;
  }
  get inputs(): readonly SignatureEntry[] {
    return this.inputList;
  }
  get outputs(): readonly SignatureEntry[] {
    return this.outputList;
  }

  /**
   * A fresh node name derived from `base` ("conv1", "conv1_1", ...). Never a key every JavaScript
   * object has ("constructor", "__proto__", ...): TF.js keeps nodes in plain objects.
   */
  uniqueName(base: string): string {
    if (!this.names.has(base) && !isObjectPrototypeKey(base)) return base;
    let n = this.counters.get(base) ?? 0;
    let candidate: string;
    do {
      n += 1;
      candidate = `${base}_${n}`;
    } while (this.names.has(candidate));
    this.counters.set(base, n);
    return candidate;
  }

  hasNode(name: string): boolean {
    return this.names.has(name);
  }

  // ---------------------------------------------------------------- inputs, constants, outputs

  /** A Placeholder, normally NHWC with a free batch (-1). Also registered as a signature input. */
  placeholder(name: string, shape: readonly number[], dtype: DType = 'float32'): TensorRef {
    if (!shape.every(dimOk)) throw new GraphBuildError(name, `bad placeholder shape [${shape}]`);
    const t = this.addNode(name, 'Placeholder', [], { dtype: attr.dtype(dtype), shape: attr.shape(shape) }, [shape], dtype)[0];
    this.inputList.push({ key: name, tensor: t });
    return t;
  }

  /** A float32 constant stored in the weight shards. */
  constFloat(name: string, data: Float32Array | WeightSource | readonly number[], shape: readonly number[]): TensorRef {
    const arr = data instanceof Float32Array || isWeightSource(data) ? data : Float32Array.from(data);
    return this.constTensor(name, { data: arr, shape }, 'float32');
  }

  /** An int32 constant (shapes, axes, paddings, permutations). */
  constInt(name: string, data: Int32Array | readonly number[], shape?: readonly number[]): TensorRef {
    const arr = data instanceof Int32Array ? data : Int32Array.from(data);
    return this.constTensor(name, { data: arr, shape: shape ?? [arr.length] }, 'int32');
  }

  /** A scalar float32 constant. */
  scalar(name: string, value: number): TensorRef {
    return this.constFloat(name, [value], []);
  }

  private constTensor(name: string, host: HostTensor, dtype: DType): TensorRef {
    const shape = [...host.shape];
    if (!shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new GraphBuildError(name, `constant shape must be fully known, got [${shape}]`);
    }
    if (product(shape) !== host.data.length) {
      throw new GraphBuildError(name, `constant has ${host.data.length} values but shape [${shape}] needs ${product(shape)}`);
    }
    const t = this.addNode(name, 'Const', [], { dtype: attr.dtype(dtype), value: attr.tensor(dtype, shape) }, [shape], dtype)[0];
    this.weightList.push({ name: t.node, dtype, shape, data: host.data });
    return t;
  }

  /** Marks a tensor as a model output (signature output keyed by the node name unless `key`). */
  output(t: TensorRef, key?: string): TensorRef {
    const k = key ?? t.node;
    if (this.outputList.some((o) => o.key === k)) throw new GraphBuildError(t.node, `output key '${k}' used twice`);
    this.outputList.push({ key: k, tensor: t });
    return t;
  }

  // ---------------------------------------------------------------- convolutions

  /** Conv2D, filter HWIO [kh, kw, Cin, Cout], EXPLICIT padding. */
  conv2d(x: TensorRef, filter: TensorRef | HostTensor, opts: Conv2dOptions = {}): TensorRef {
    return this.convNode('Conv2D', x, filter, undefined, undefined, opts);
  }

  /** DepthwiseConv2dNative, filter [kh, kw, C, multiplier]; output channel c*M + m. */
  depthwiseConv2d(x: TensorRef, filter: TensorRef | HostTensor, opts: Conv2dOptions = {}): TensorRef {
    return this.convNode('DepthwiseConv2dNative', x, filter, undefined, undefined, opts);
  }

  /**
   * _FusedConv2D: conv2d, then BiasAdd over the output channels, then the activation when given,
   * as one kernel (fused_ops ["BiasAdd"] or ["BiasAdd", "Relu" | "LeakyRelu"]).
   */
  fusedConv2d(x: TensorRef, filter: TensorRef | HostTensor, bias: TensorRef | HostTensor, opts: Conv2dOptions & { activation?: FusedActivation } = {}): TensorRef {
    return this.convNode('_FusedConv2D', x, filter, bias, opts.activation, opts);
  }

  /**
   * FusedDepthwiseConv2dNative: depthwiseConv2d + BiasAdd (+ Relu). No LeakyRelu: the op mapper
   * reads no leakyrelu_alpha for this op, so the kernel would run with a default slope.
   */
  fusedDepthwiseConv2d(x: TensorRef, filter: TensorRef | HostTensor, bias: TensorRef | HostTensor, opts: Conv2dOptions & { activation?: FusedActivation } = {}): TensorRef {
    if (opts.activation?.op === 'LeakyRelu') {
      throw new GraphBuildError(opts.name ?? 'FusedDepthwiseConv2dNative', 'LeakyRelu cannot be fused into a depthwise convolution (tfjs reads no alpha for it)');
    }
    return this.convNode('FusedDepthwiseConv2dNative', x, filter, bias, opts.activation, opts);
  }

  private convNode(
    op: 'Conv2D' | 'DepthwiseConv2dNative' | '_FusedConv2D' | 'FusedDepthwiseConv2dNative',
    x: TensorRef,
    filter: TensorRef | HostTensor,
    bias: TensorRef | HostTensor | undefined,
    activation: FusedActivation | undefined,
    opts: Conv2dOptions,
  ): TensorRef {
    const depthwise = op === 'DepthwiseConv2dNative' || op === 'FusedDepthwiseConv2dNative';
    const name = this.uniqueName(opts.name ?? op);
    const f = this.weightInput(filter, `${name}/filter`);
    this.requireRank(name, x, 4);
    this.requireRank(name, f, 4);
    const [kh, kw, ci, m] = f.shape;
    if (x.shape[3] !== -1 && x.shape[3] !== ci) {
      throw new GraphBuildError(name, `${depthwise ? 'depthwise filter' : 'filter'} expects ${ci} ${depthwise ? '' : 'input '}channels, input has ${x.shape[3]}`);
    }
    const co = depthwise ? ci * m : m;
    const { attrs, outHW } = this.convAttrs(name, x, kh, kw, opts);
    const inputs = [x, f];
    let fused: Record<string, AttrValue> = {};
    if (bias !== undefined) {
      const b = this.weightInput(bias, `${name}/bias`);
      this.requireBias(name, b, co);
      inputs.push(b);
      fused = fusedAttrs(activation);
    }
    return this.addNode(name, op, inputs, { T: attr.dtype('float32'), ...attrs, ...fused }, [[x.shape[0], outHW[0], outHW[1], co]])[0];
  }

  /**
   * Grouped convolution, which TF's Conv2D cannot express: DepthwiseConv2dNative
   * with channel multiplier Og, Reshape to [N,H,W,G,Cg,Og], Sum over Cg. The filter comes packed as
   * the depthwise filter [kh, kw, C, Og] (channel c = g*Cg + i, multiplier m carries group g's
   * W[.., i, m]), which the caller builds in one pass from its own weights.
   */
  groupedConv2dPacked(x: TensorRef, filter: HostTensor, opts: Conv2dOptions & { groups: number }): TensorRef {
    const base = opts.name ?? 'GroupedConv2D';
    this.requireRank(base, x, 4);
    const G = opts.groups;
    const [, , C, og] = filter.shape;
    if (filter.shape.length !== 4 || !Number.isInteger(G) || G < 1 || C % G !== 0) {
      throw new GraphBuildError(base, `packed filter [${filter.shape}] cannot form ${G} groups`);
    }
    const cg = C / G;
    const name = this.uniqueName(base);
    const d = this.depthwiseConv2d(x, filter, { ...opts, name: `${name}/depthwise` });
    const [n, ho, wo] = d.shape;
    if (ho < 0 || wo < 0) throw new GraphBuildError(name, 'grouped convolution needs a static spatial size');
    const r = this.reshape(d, [n < 0 ? -1 : n, ho, wo, G, cg, og], { name: `${name}/reshape` });
    const s = this.sum(r, [4], false, { name: `${name}/sum` });
    return this.reshape(s, [n < 0 ? -1 : n, ho, wo, G * og], { name });
  }

  private convAttrs(
    name: string,
    x: TensorRef,
    kh: number,
    kw: number,
    opts: Conv2dOptions,
  ): { attrs: Record<string, AttrValue>; outHW: [number, number] } {
    const [sh, sw] = opts.strides ?? [1, 1];
    const [pt, pb, pl, pr] = opts.pads ?? [0, 0, 0, 0];
    const [dh, dw] = opts.dilations ?? [1, 1];
    for (const v of [sh, sw, dh, dw]) {
      if (!Number.isInteger(v) || v < 1) throw new GraphBuildError(name, `strides and dilations must be positive integers`);
    }
    for (const v of [pt, pb, pl, pr]) {
      if (!Number.isInteger(v) || v < 0) throw new GraphBuildError(name, `pads must be non-negative integers`);
    }
    if ((sh > 1 || sw > 1) && (dh > 1 || dw > 1)) {
      throw new GraphBuildError(name, 'tfjs requires strides or dilations to be 1');
    }
    const outHW: [number, number] = [
      convOut(name, x.shape[1], kh, sh, pt + pb, dh),
      convOut(name, x.shape[2], kw, sw, pl + pr, dw),
    ];
    return {
      attrs: {
        strides: attr.ints([1, sh, sw, 1]),
        padding: attr.str('EXPLICIT'),
        explicit_paddings: attr.ints([0, 0, pt, pb, pl, pr, 0, 0]),
        dilations: attr.ints([1, dh, dw, 1]),
        data_format: attr.str('NHWC'),
      },
      outHW,
    };
  }

  // ---------------------------------------------------------------- pooling and padding

  /** Pad with zeros (`Pad`). `paddings` is [before, after] per dimension. */
  pad(x: TensorRef, paddings: readonly (readonly [number, number])[], opts: { name?: string } = {}): TensorRef {
    return this.padNode(x, paddings, undefined, opts.name ?? 'Pad');
  }

  /** Pad with a constant (`PadV2`), e.g. -Infinity before max pooling. */
  padV2(x: TensorRef, paddings: readonly (readonly [number, number])[], value: number, opts: { name?: string } = {}): TensorRef {
    return this.padNode(x, paddings, value, opts.name ?? 'PadV2');
  }

  private padNode(x: TensorRef, paddings: readonly (readonly [number, number])[], value: number | undefined, base: string): TensorRef {
    const name = this.uniqueName(base);
    if (paddings.length !== x.shape.length) {
      throw new GraphBuildError(name, `paddings has ${paddings.length} rows, input rank is ${x.shape.length}`);
    }
    const flat = paddings.flatMap(([a, b]) => [a, b]);
    if (!flat.every((v) => Number.isInteger(v) && v >= 0)) throw new GraphBuildError(name, 'paddings must be non-negative integers');
    const p = this.constInt(`${name}/paddings`, flat, [paddings.length, 2]);
    const shape = x.shape.map((d, i) => (d < 0 ? -1 : d + paddings[i][0] + paddings[i][1]));
    if (value === undefined) return this.addNode(name, 'Pad', [x, p], { T: attr.dtype(x.dtype) }, [shape], x.dtype)[0];
    const c = this.scalar(`${name}/value`, value);
    return this.addNode(name, 'PadV2', [x, p, c], { T: attr.dtype(x.dtype) }, [shape], x.dtype)[0];
  }

  /** Max pooling: PadV2(-inf by default) + MaxPool VALID. */
  maxPool(x: TensorRef, opts: Pool2dOptions): TensorRef {
    return this.pool('MaxPool', x, opts, -Infinity);
  }

  /** Average pooling: Pad (zeros by default) + AvgPool VALID; padded zeros count in the divisor. */
  avgPool(x: TensorRef, opts: Pool2dOptions): TensorRef {
    return this.pool('AvgPool', x, opts, 0);
  }

  private pool(op: 'MaxPool' | 'AvgPool', x: TensorRef, opts: Pool2dOptions, defaultPad: number): TensorRef {
    const name = this.uniqueName(opts.name ?? op);
    this.requireRank(name, x, 4);
    const [kh, kw] = opts.kernel;
    const [sh, sw] = opts.strides ?? [1, 1];
    const [pt, pb, pl, pr] = opts.pads ?? [0, 0, 0, 0];
    let input = x;
    if (pt + pb + pl + pr > 0) {
      const paddings: [number, number][] = [[0, 0], [pt, pb], [pl, pr], [0, 0]];
      const value = opts.padValue ?? defaultPad;
      input = value === 0 ? this.pad(x, paddings, { name: `${name}/pad` }) : this.padV2(x, paddings, value, { name: `${name}/pad` });
    }
    const shape = [x.shape[0], convOut(name, input.shape[1], kh, sh, 0, 1), convOut(name, input.shape[2], kw, sw, 0, 1), x.shape[3]];
    return this.addNode(name, op, [input], {
      T: attr.dtype('float32'),
      ksize: attr.ints([1, kh, kw, 1]),
      strides: attr.ints([1, sh, sw, 1]),
      padding: attr.str('VALID'),
      data_format: attr.str('NHWC'),
    }, [shape])[0];
  }

  // ---------------------------------------------------------------- dense and elementwise

  /** MatMul of rank-2 tensors; `b` may be host data (weights). */
  matMul(a: TensorRef, b: TensorRef | HostTensor, opts: { name?: string; transposeA?: boolean; transposeB?: boolean } = {}): TensorRef {
    return this.matMulNode(a, b, undefined, undefined, opts);
  }

  /**
   * _FusedMatMul: matMul of a [M, K] by b [K, N], then BiasAdd over the columns, then the
   * activation when given. No transposes: tfjs-backend-wasm 4.22 computes this op wrongly with
   * transpose_b and a bias (measured), so b must be stored as [K, N].
   */
  fusedMatMul(a: TensorRef, b: TensorRef | HostTensor, bias: TensorRef | HostTensor, opts: { name?: string; activation?: FusedActivation } = {}): TensorRef {
    return this.matMulNode(a, b, bias, opts.activation, opts);
  }

  private matMulNode(
    a: TensorRef,
    b: TensorRef | HostTensor,
    bias: TensorRef | HostTensor | undefined,
    activation: FusedActivation | undefined,
    opts: { name?: string; transposeA?: boolean; transposeB?: boolean },
  ): TensorRef {
    const op = bias === undefined ? 'MatMul' : '_FusedMatMul';
    const name = this.uniqueName(opts.name ?? op);
    const bt = this.weightInput(b, `${name}/weights`);
    this.requireRank(name, a, 2);
    this.requireRank(name, bt, 2);
    const [m, k1] = opts.transposeA ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
    const [k2, n] = opts.transposeB ? [bt.shape[1], bt.shape[0]] : [bt.shape[0], bt.shape[1]];
    if (k1 >= 0 && k2 >= 0 && k1 !== k2) throw new GraphBuildError(name, `inner dimensions differ: ${k1} vs ${k2}`);
    const inputs = [a, bt];
    let fused: Record<string, AttrValue> = {};
    if (bias !== undefined) {
      const bb = this.weightInput(bias, `${name}/bias`);
      this.requireBias(name, bb, n);
      inputs.push(bb);
      fused = fusedAttrs(activation);
    }
    return this.addNode(name, op, inputs, {
      T: attr.dtype('float32'),
      transpose_a: attr.bool(opts.transposeA ?? false),
      transpose_b: attr.bool(opts.transposeB ?? false),
      ...fused,
    }, [[m, n]])[0];
  }

  /** BiasAdd over the last dimension. */
  biasAdd(x: TensorRef, bias: TensorRef | HostTensor, opts: { name?: string } = {}): TensorRef {
    const name = this.uniqueName(opts.name ?? 'BiasAdd');
    const b = this.weightInput(bias, `${name}/bias`);
    this.requireRank(name, b, 1);
    const c = x.shape[x.shape.length - 1];
    if (c >= 0 && c !== b.shape[0]) throw new GraphBuildError(name, `bias has ${b.shape[0]} values, last dimension is ${c}`);
    return this.addNode(name, 'BiasAdd', [x, b], { T: attr.dtype('float32'), data_format: attr.str('NHWC') }, [x.shape])[0];
  }

  add(a: TensorRef, b: TensorRef, opts: { name?: string } = {}): TensorRef {
    return this.binary('AddV2', a, b, opts.name);
  }
  sub(a: TensorRef, b: TensorRef, opts: { name?: string } = {}): TensorRef {
    return this.binary('Sub', a, b, opts.name);
  }
  mul(a: TensorRef, b: TensorRef, opts: { name?: string } = {}): TensorRef {
    return this.binary('Mul', a, b, opts.name);
  }
  maximum(a: TensorRef, b: TensorRef, opts: { name?: string } = {}): TensorRef {
    return this.binary('Maximum', a, b, opts.name);
  }
  minimum(a: TensorRef, b: TensorRef, opts: { name?: string } = {}): TensorRef {
    return this.binary('Minimum', a, b, opts.name);
  }
  pow(a: TensorRef, b: TensorRef, opts: { name?: string } = {}): TensorRef {
    return this.binary('Pow', a, b, opts.name);
  }

  /** AddN: elementwise sum of same-shaped tensors. */
  addN(xs: readonly TensorRef[], opts: { name?: string } = {}): TensorRef {
    const name = this.uniqueName(opts.name ?? 'AddN');
    if (xs.length === 0) throw new GraphBuildError(name, 'AddN needs at least one input');
    let shape: readonly number[] = xs[0].shape;
    for (const x of xs.slice(1)) {
      if (x.shape.length !== shape.length || x.shape.some((d, i) => d >= 0 && shape[i] >= 0 && d !== shape[i])) {
        throw new GraphBuildError(name, `AddN inputs differ in shape: [${shape}] vs [${x.shape}]`);
      }
      shape = shape.map((d, i) => (d >= 0 ? d : x.shape[i]));
    }
    return this.addNode(name, 'AddN', xs, { T: attr.dtype('float32'), N: attr.int(xs.length) }, [shape])[0];
  }

  private binary(op: string, a: TensorRef, b: TensorRef, nameOpt?: string): TensorRef {
    const name = this.uniqueName(nameOpt ?? op);
    const shape = broadcastShapes(name, a.shape, b.shape);
    if (a.dtype !== b.dtype) throw new GraphBuildError(name, `dtype mismatch: ${a.dtype} vs ${b.dtype}`);
    return this.addNode(name, op, [a, b], { T: attr.dtype(a.dtype) }, [shape], a.dtype)[0];
  }

  relu(x: TensorRef, opts: { name?: string } = {}): TensorRef {
    return this.unary('Relu', x, opts.name);
  }
  elu(x: TensorRef, opts: { name?: string } = {}): TensorRef {
    return this.unary('Elu', x, opts.name);
  }
  sigmoid(x: TensorRef, opts: { name?: string } = {}): TensorRef {
    return this.unary('Sigmoid', x, opts.name);
  }
  tanh(x: TensorRef, opts: { name?: string } = {}): TensorRef {
    return this.unary('Tanh', x, opts.name);
  }
  /** Softmax over the last dimension. */
  softmax(x: TensorRef, opts: { name?: string } = {}): TensorRef {
    return this.unary('Softmax', x, opts.name);
  }
  exp(x: TensorRef, opts: { name?: string } = {}): TensorRef {
    return this.unary('Exp', x, opts.name);
  }
  abs(x: TensorRef, opts: { name?: string } = {}): TensorRef {
    return this.unary('Abs', x, opts.name);
  }
  square(x: TensorRef, opts: { name?: string } = {}): TensorRef {
    return this.unary('Square', x, opts.name);
  }
  identity(x: TensorRef, opts: { name?: string } = {}): TensorRef {
    return this.unary('Identity', x, opts.name);
  }
  /** The activation as its own node (where it cannot be fused). */
  activation(x: TensorRef, act: FusedActivation, opts: { name?: string } = {}): TensorRef {
    return act.op === 'Relu' ? this.relu(x, opts) : this.leakyRelu(x, act.alpha, opts);
  }
  /** LeakyRelu: x for x > 0, alpha*x otherwise. */
  leakyRelu(x: TensorRef, alpha: number, opts: { name?: string } = {}): TensorRef {
    return this.unary('LeakyRelu', x, opts.name, { alpha: attr.float(alpha) });
  }
  /** Prelu with per-channel (last dimension) or broadcastable alpha. */
  prelu(x: TensorRef, alpha: TensorRef | HostTensor, opts: { name?: string } = {}): TensorRef {
    const name = this.uniqueName(opts.name ?? 'Prelu');
    const a = this.weightInput(alpha, `${name}/alpha`);
    broadcastShapes(name, x.shape, a.shape);
    return this.addNode(name, 'Prelu', [x, a], { T: attr.dtype('float32') }, [x.shape])[0];
  }

  private unary(op: string, x: TensorRef, nameOpt?: string, extra: Record<string, AttrValue> = {}): TensorRef {
    const name = this.uniqueName(nameOpt ?? op);
    return this.addNode(name, op, [x], { T: attr.dtype(x.dtype), ...extra }, [x.shape], x.dtype)[0];
  }

  // ---------------------------------------------------------------- shape manipulation

  /** Reshape; at most one -1 in `shape`, resolved statically when the input size is known. */
  reshape(x: TensorRef, shape: readonly number[], opts: { name?: string } = {}): TensorRef {
    const name = this.uniqueName(opts.name ?? 'Reshape');
    if (shape.filter((d) => d === -1).length > 1 || !shape.every(dimOk)) {
      throw new GraphBuildError(name, `bad reshape target [${shape}]`);
    }
    const out = [...shape];
    const known = product(shape.filter((d) => d >= 0));
    if (x.shape.every((d) => d >= 0)) {
      const total = product(x.shape);
      const neg = out.indexOf(-1);
      if (neg >= 0) {
        if (known === 0 || total % known !== 0) throw new GraphBuildError(name, `cannot reshape [${x.shape}] to [${shape}]`);
        out[neg] = total / known;
      } else if (known !== total) {
        throw new GraphBuildError(name, `cannot reshape [${x.shape}] (${total} values) to [${shape}]`);
      }
    } else if (!out.includes(-1)) {
      // Unknown input size with a fully known target is legal in TF; nothing to check statically.
    } else {
      const knownIn = product(x.shape.filter((d) => d >= 0));
      if (known > 0 && knownIn % known !== 0 && x.shape.filter((d) => d < 0).length === 0) {
        throw new GraphBuildError(name, `cannot reshape [${x.shape}] to [${shape}]`);
      }
    }
    const s = this.constInt(`${name}/shape`, shape);
    return this.addNode(name, 'Reshape', [x, s], { T: attr.dtype(x.dtype), Tshape: attr.dtype('int32') }, [out], x.dtype)[0];
  }

  transpose(x: TensorRef, perm: readonly number[], opts: { name?: string } = {}): TensorRef {
    const name = this.uniqueName(opts.name ?? 'Transpose');
    const sorted = [...perm].sort((a, b) => a - b);
    if (perm.length !== x.shape.length || sorted.some((v, i) => v !== i)) {
      throw new GraphBuildError(name, `perm [${perm}] is not a permutation of rank ${x.shape.length}`);
    }
    const p = this.constInt(`${name}/perm`, perm);
    return this.addNode(name, 'Transpose', [x, p], { T: attr.dtype(x.dtype), Tperm: attr.dtype('int32') }, [perm.map((i) => x.shape[i])], x.dtype)[0];
  }

  /** ConcatV2 along `axis` (negative counts from the end). */
  concat(xs: readonly TensorRef[], axis: number, opts: { name?: string } = {}): TensorRef {
    const name = this.uniqueName(opts.name ?? 'ConcatV2');
    if (xs.length === 0) throw new GraphBuildError(name, 'concat needs at least one input');
    const rank = xs[0].shape.length;
    const ax = normAxis(name, axis, rank);
    const shape = [...xs[0].shape];
    for (const x of xs.slice(1)) {
      if (x.shape.length !== rank) throw new GraphBuildError(name, `concat inputs differ in rank`);
      for (let i = 0; i < rank; i++) {
        if (i === ax) shape[i] = shape[i] < 0 || x.shape[i] < 0 ? -1 : shape[i] + x.shape[i];
        else if (shape[i] >= 0 && x.shape[i] >= 0 && shape[i] !== x.shape[i]) {
          throw new GraphBuildError(name, `concat inputs differ in dimension ${i}: [${xs[0].shape}] vs [${x.shape}]`);
        } else if (shape[i] < 0) shape[i] = x.shape[i];
      }
    }
    const a = this.constInt(`${name}/axis`, [ax], []);
    return this.addNode(name, 'ConcatV2', [...xs, a], {
      T: attr.dtype(xs[0].dtype), N: attr.int(xs.length), Tidx: attr.dtype('int32'),
    }, [shape], xs[0].dtype)[0];
  }

  /** SplitV: parts of the given sizes along `axis`. */
  splitV(x: TensorRef, sizes: readonly number[], axis: number, opts: { name?: string } = {}): TensorRef[] {
    const name = this.uniqueName(opts.name ?? 'SplitV');
    const ax = normAxis(name, axis, x.shape.length);
    const d = x.shape[ax];
    if (!sizes.every((s) => Number.isInteger(s) && s >= 0) || (d >= 0 && sizes.reduce((p, q) => p + q, 0) !== d)) {
      throw new GraphBuildError(name, `sizes [${sizes}] do not add up to dimension ${ax} of size ${d}`);
    }
    const s = this.constInt(`${name}/sizes`, sizes);
    const a = this.constInt(`${name}/axis`, [ax], []);
    const shapes = sizes.map((sz) => x.shape.map((v, i) => (i === ax ? sz : v)));
    return this.addNode(name, 'SplitV', [x, s, a], {
      T: attr.dtype(x.dtype), num_split: attr.int(sizes.length), Tlen: attr.dtype('int32'),
    }, shapes, x.dtype);
  }

  sum(x: TensorRef, axes: readonly number[], keepDims = false, opts: { name?: string } = {}): TensorRef {
    return this.reduce('Sum', x, axes, keepDims, opts.name);
  }
  mean(x: TensorRef, axes: readonly number[], keepDims = false, opts: { name?: string } = {}): TensorRef {
    return this.reduce('Mean', x, axes, keepDims, opts.name);
  }
  max(x: TensorRef, axes: readonly number[], keepDims = false, opts: { name?: string } = {}): TensorRef {
    return this.reduce('Max', x, axes, keepDims, opts.name);
  }

  private reduce(op: string, x: TensorRef, axes: readonly number[], keepDims: boolean, nameOpt?: string): TensorRef {
    const name = this.uniqueName(nameOpt ?? op);
    const ax = axes.map((a) => normAxis(name, a, x.shape.length));
    const a = this.constInt(`${name}/axes`, ax);
    const shape = keepDims ? x.shape.map((d, i) => (ax.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !ax.includes(i));
    return this.addNode(name, op, [x, a], { T: attr.dtype(x.dtype), Tidx: attr.dtype('int32'), keep_dims: attr.bool(keepDims) }, [shape], x.dtype)[0];
  }

  /** Slice: `size` -1 means "to the end". */
  slice(x: TensorRef, begin: readonly number[], size: readonly number[], opts: { name?: string } = {}): TensorRef {
    const name = this.uniqueName(opts.name ?? 'Slice');
    if (begin.length !== x.shape.length || size.length !== x.shape.length) {
      throw new GraphBuildError(name, `begin/size must have rank ${x.shape.length}`);
    }
    const shape = size.map((s, i) => (s >= 0 ? s : x.shape[i] < 0 ? -1 : x.shape[i] - begin[i]));
    for (let i = 0; i < shape.length; i++) {
      if (x.shape[i] >= 0 && begin[i] + (shape[i] < 0 ? 0 : shape[i]) > x.shape[i]) {
        throw new GraphBuildError(name, `slice [${begin}]+[${size}] exceeds [${x.shape}]`);
      }
    }
    const b = this.constInt(`${name}/begin`, begin);
    const s = this.constInt(`${name}/size`, size);
    return this.addNode(name, 'Slice', [x, b, s], { T: attr.dtype(x.dtype), Index: attr.dtype('int32') }, [shape], x.dtype)[0];
  }

  // ---------------------------------------------------------------- internals

  private weightInput(t: TensorRef | HostTensor, name: string): TensorRef {
    if ('node' in t) return t;
    if (t.data instanceof Int32Array) return this.constInt(this.uniqueName(name), t.data, t.shape);
    return this.constFloat(this.uniqueName(name), t.data, t.shape);
  }

  private requireBias(name: string, b: TensorRef, channels: number): void {
    this.requireRank(name, b, 1);
    if (channels >= 0 && b.shape[0] !== channels) throw new GraphBuildError(name, `bias has ${b.shape[0]} values, the output has ${channels} channels`);
  }

  private requireRank(name: string, t: TensorRef, rank: number): void {
    if (t.shape.length !== rank) throw new GraphBuildError(name, `expects a rank-${rank} tensor, '${t.ref}' has shape [${t.shape}]`);
  }

  private addNode(
    name: string,
    op: string,
    inputs: readonly TensorRef[],
    attrs: Record<string, AttrValue>,
    outShapes: readonly (readonly number[])[],
    dtype: DType = 'float32',
  ): TensorRef[] {
    if (this.names.has(name)) throw new GraphBuildError(name, 'a node of this name already exists');
    if (name.length === 0 || /[:^]/.test(name)) throw new GraphBuildError(name, "node names must be non-empty and contain no ':' or '^'");
    for (const i of inputs) {
      if (!this.names.has(i.node)) throw new GraphBuildError(name, `input '${i.ref}' is not a node of this graph`);
    }
    this.names.add(name);
    const node: NodeDefJson = { name, op, attr: attrs };
    if (inputs.length > 0) node.input = inputs.map((i) => i.ref);
    this.nodes.push(node);
    return outShapes.map((shape, index) => ({
      node: name,
      index,
      ref: index === 0 ? name : `${name}:${index}`,
      shape: [...shape],
      dtype,
    }));
  }
}

/**
 * Attributes of a fused op with one extra input (the bias): tfjs-converter reads num_args,
 * fused_ops (first the BiasAdd, then the activation) and, for LeakyRelu, leakyrelu_alpha.
 */
function fusedAttrs(activation: FusedActivation | undefined): Record<string, AttrValue> {
  const attrs: Record<string, AttrValue> = {
    num_args: attr.int(1),
    fused_ops: attr.strs(activation === undefined ? ['BiasAdd'] : ['BiasAdd', activation.op]),
  };
  if (activation?.op === 'LeakyRelu') attrs.leakyrelu_alpha = attr.float(activation.alpha);
  return attrs;
}

function convOut(name: string, size: number, k: number, s: number, padTotal: number, d: number): number {
  if (size < 0) return -1;
  const ek = (k - 1) * d + 1;
  const out = Math.floor((size + padTotal - ek) / s) + 1;
  if (out < 1) throw new GraphBuildError(name, `window ${ek} does not fit input size ${size} with padding ${padTotal}`);
  return out;
}

function normAxis(name: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new GraphBuildError(name, `axis ${axis} out of range for rank ${rank}`);
  return a;
}

/** Numpy-style broadcasting; -1 (unknown) broadcasts against anything but stays unknown unless paired with >1. */
export function broadcastShapes(name: string, a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x === y) out.push(x);
    else if (x === 1) out.push(y);
    else if (y === 1) out.push(x);
    else if (x === -1) out.push(y);
    else if (y === -1) out.push(x);
    else throw new GraphBuildError(name, `shapes [${a}] and [${b}] do not broadcast`);
  }
  return out;
}
