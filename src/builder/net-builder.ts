/**
 * A typed net builder in the spirit of pycaffe's NetSpec: layers are added in call order, their
 * tops are values (`Top`) passed to later layers, names are chosen by the architecture code, and
 * options are the schema's own message types (so a misspelt field is a compile error).
 */
import * as protobuf from 'protobufjs';
import { NetError } from '../errors';
import {
  caffeType,
  type BatchNormParameter,
  type ConcatParameter,
  type ConvolutionParameter,
  type DropoutParameter,
  type EltwiseParameter,
  type InnerProductParameter,
  type LayerParameter,
  type NetParameter,
  type PoolingParameter,
  type ReLUParameter,
  type ReshapeParameter,
  type ScaleParameter,
  type SoftmaxParameter,
} from '../schema';
import { printText } from '../textformat';
import { stockAxpyLayers, stockScaleLayers } from './stock-axpy';

/**
 * Repeated scalar fields may be given as one value (`kernel_size: 3` for `kernel_size: [3]`), as
 * pycaffe allows; nested messages follow the same rule.
 */
export type Loose<T> = {
  [K in keyof T]?: NonNullable<T[K]> extends (infer E)[]
    ? E extends object
      ? Loose<E>[] | Loose<E>
      : E | E[]
    : NonNullable<T[K]> extends Uint8Array
      ? T[K]
      : NonNullable<T[K]> extends object
        ? Loose<NonNullable<T[K]>>
        : T[K];
};

/** Layer-level fields other than name, type, bottoms and tops (param specs, phase rules, ...). */
export type LayerFields = Loose<Omit<LayerParameter, 'name' | 'type' | 'bottom' | 'top'>>;

/** A blob produced by a layer: its Caffe name and the layer that last wrote it. */
export class Top {
  constructor(
    readonly blob: string,
    readonly layer: string,
    /** Identity of the builder that made it, so tops cannot leak between nets. */
    readonly owner: NetBuilder,
  ) {}

  toString(): string {
    return this.blob;
  }
}

export interface AddOptions {
  /** Names of the tops; defaults to the layer name (one top). */
  tops?: string[];
  /** Write the result into the (single) bottom blob, as Caffe's in-place layers do. */
  inPlace?: boolean;
}

let layerType: protobuf.Type | undefined;

/** The phase a layer is restricted to by a single `include { phase }` rule, else 'any'. */
function onlyPhase(fields: LayerFields): string {
  const inc = fields.include;
  const rules = inc === undefined ? [] : Array.isArray(inc) ? inc : [inc];
  if (rules.length !== 1) return 'any';
  const r = rules[0];
  const onlyPhaseKey = Object.keys(r).every((k) => k === 'phase' || (r as Record<string, unknown>)[k] === undefined);
  return onlyPhaseKey && r.phase !== undefined ? r.phase : 'any';
}

/** Puts loose values into the schema's shape: single values of repeated fields become arrays. */
function normalize(type: protobuf.Type, obj: Record<string, unknown>, where: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(obj)) {
    if (value === undefined) continue;
    const field = type.fields[key];
    if (field === undefined) throw new NetError(undefined, `${where}: ${type.name} has no field '${key}'`);
    field.resolve();
    const sub = field.resolvedType instanceof protobuf.Type ? field.resolvedType : undefined;
    const one = (v: unknown): unknown =>
      sub !== undefined ? normalize(sub, v as Record<string, unknown>, `${where}.${key}`) : v;
    if (field.repeated) {
      const arr = Array.isArray(value) || ArrayBuffer.isView(value) ? Array.from(value as ArrayLike<unknown>) : [value];
      out[key] = arr.map(one);
    } else {
      out[key] = one(value);
    }
  }
  return out;
}

export class NetBuilder {
  private readonly layers: LayerParameter[] = [];
  /** Layer name -> the phase each layer of that name is restricted to ('any' when unrestricted). */
  private readonly names = new Map<string, string[]>();
  /** Comment lines printed after the net's name line (e.g. the official `mean_value` note). */
  readonly comments: string[];

  constructor(
    readonly name: string,
    opts: { comments?: string[] } = {},
  ) {
    this.comments = opts.comments ?? [];
  }

  /**
   * Adds a layer of any type. `fields` carries the type's `*_param` and layer-level fields.
   * Returns one Top per top blob.
   */
  add(type: string, name: string, bottoms: Top | readonly Top[], fields: LayerFields = {}, opts: AddOptions = {}): Top[] {
    const phase = onlyPhase(fields);
    const same = this.names.get(name) ?? [];
    // Caffe's convention: a train/test file may hold two layers of one name (e.g. 'data') when each
    // is included in a different phase, since only one of them exists in any built net.
    if (same.some((p) => p === 'any' || p === phase)) {
      throw new NetError(name, 'a layer of this name already exists in the net (allowed only in disjoint phases)');
    }
    const bottomList = bottoms instanceof Top ? [bottoms] : [...bottoms];
    for (const b of bottomList) {
      if (b.owner !== this) throw new NetError(name, `bottom '${b.blob}' belongs to another net`);
    }
    let tops: string[];
    if (opts.inPlace) {
      if (bottomList.length !== 1) throw new NetError(name, 'an in-place layer needs exactly one bottom');
      tops = [bottomList[0].blob];
    } else {
      tops = opts.tops ?? [name];
    }
    layerType ??= caffeType('LayerParameter');
    const rest = normalize(layerType, fields as Record<string, unknown>, `layer '${name}'`);
    const layer: LayerParameter = { name, type, ...(bottomList.length ? { bottom: bottomList.map((b) => b.blob) } : {}), top: tops, ...rest };
    if (layer.top!.length === 0) delete layer.top;
    this.layers.push(layer);
    this.names.set(name, [...same, phase]);
    return tops.map((t) => new Top(t, name, this));
  }

  /** Adds a layer with exactly one top. */
  add1(type: string, name: string, bottoms: Top | readonly Top[], fields: LayerFields = {}, opts: AddOptions = {}): Top {
    const tops = this.add(type, name, bottoms, fields, opts);
    if (tops.length !== 1) throw new NetError(name, `expected one top, got ${tops.length}`);
    return tops[0];
  }

  // --- the common layer types, typed by their parameter messages ------------------------------

  input(name: string, shape: number[], fields: LayerFields = {}): Top {
    return this.add1('Input', name, [], { input_param: { shape: [{ dim: shape }] }, ...fields });
  }

  conv(name: string, x: Top, p: Loose<ConvolutionParameter>, fields: LayerFields = {}): Top {
    return this.add1('Convolution', name, x, { convolution_param: p, ...fields });
  }

  pool(name: string, x: Top, p: Loose<PoolingParameter>, fields: LayerFields = {}): Top {
    return this.add1('Pooling', name, x, { pooling_param: p, ...fields });
  }

  fc(name: string, x: Top, p: Loose<InnerProductParameter>, fields: LayerFields = {}): Top {
    return this.add1('InnerProduct', name, x, { inner_product_param: p, ...fields });
  }

  batchNorm(name: string, x: Top, p: Loose<BatchNormParameter> = {}, fields: LayerFields = {}, inPlace = true): Top {
    return this.add1('BatchNorm', name, x, { batch_norm_param: p, ...fields }, { inPlace });
  }

  scale(name: string, x: Top | readonly Top[], p: Loose<ScaleParameter> = {}, fields: LayerFields = {}, inPlace = true): Top {
    const bottoms = x instanceof Top ? [x] : x;
    return this.add1('Scale', name, bottoms, { scale_param: p, ...fields }, { inPlace: inPlace && bottoms.length === 1 });
  }

  relu(name: string, x: Top, p?: Loose<ReLUParameter>, inPlace = true): Top {
    return this.add1('ReLU', name, x, p ? { relu_param: p } : {}, { inPlace });
  }

  sigmoid(name: string, x: Top, inPlace = false): Top {
    return this.add1('Sigmoid', name, x, {}, { inPlace });
  }

  eltwise(name: string, xs: readonly Top[], p: Loose<EltwiseParameter> = {}): Top {
    return this.add1('Eltwise', name, xs, Object.keys(p).length ? { eltwise_param: p } : {});
  }

  concat(name: string, xs: readonly Top[], p: Loose<ConcatParameter> = {}): Top {
    return this.add1('Concat', name, xs, Object.keys(p).length ? { concat_param: p } : {});
  }

  reshape(name: string, x: Top, p: Loose<ReshapeParameter>): Top {
    return this.add1('Reshape', name, x, { reshape_param: p });
  }

  dropout(name: string, x: Top, p: Loose<DropoutParameter>, inPlace = true): Top {
    return this.add1('Dropout', name, x, { dropout_param: p }, { inPlace });
  }

  softmax(name: string, x: Top, p: Loose<SoftmaxParameter> = {}): Top {
    return this.add1('Softmax', name, x, Object.keys(p).length ? { softmax_param: p } : {});
  }

  /** The SENet release's fused gate: top = a * x + y (a: N x C x 1 x 1). */
  axpy(name: string, a: Top, x: Top, y: Top, fields: LayerFields = {}): Top {
    return this.add1('Axpy', name, [a, x, y], fields);
  }

  /** `x * gate` channel-wise with stock layers (stock-axpy.ts), into the blob `out`. */
  stockScale(prefix: string, x: Top, gate: Top, out: string): Top {
    return this.addLayers(stockScaleLayers(prefix, { gate: gate.blob, x: x.blob, out }), [x, gate]);
  }

  /** Axpy's `a * x + y` with stock layers (stock-axpy.ts); the sum is the layer and blob `out`. */
  stockAxpy(prefix: string, a: Top, x: Top, y: Top, out: string): Top {
    return this.addLayers(stockAxpyLayers(prefix, { a: a.blob, x: x.blob, y: y.blob, out }), [a, x, y]);
  }

  /** Adds ready-made one-top layers whose bottoms are `given` or tops of earlier ones; returns the last top. */
  private addLayers(layers: readonly LayerParameter[], given: readonly Top[]): Top {
    const known = new Map(given.map((t) => [t.blob, t]));
    let last: Top | undefined;
    for (const { name, type, bottom, top, ...fields } of layers) {
      const bottoms = (bottom ?? []).map((b) => known.get(b) ?? (() => { throw new NetError(name, `unknown bottom '${b}'`); })());
      last = this.add1(type!, name!, bottoms, fields as LayerFields, { tops: top });
      known.set(last.blob, last);
    }
    return last!;
  }

  // --- output ----------------------------------------------------------------------------------

  /** The net as a NetParameter (a deep copy: later additions do not change it). */
  build(): NetParameter {
    return { name: this.name, layer: structuredClone(this.layers) };
  }

  /** Layer names in order (for tests and summaries); a name used in two phases appears twice. */
  layerNames(): string[] {
    return this.layers.map((l) => l.name!);
  }

  /** The net in Caffe's canonical text format, with the comment lines after the name line. */
  toPrototxt(): string {
    return printNet(this.build(), this.comments);
  }
}

/** Prints a net canonically; comment lines go right after the `name:` line, as in the official files. */
export function printNet(net: NetParameter, comments: readonly string[] = []): string {
  const text = printText(net, caffeType('NetParameter'));
  if (comments.length === 0) return text;
  const block = comments.map((c) => `# ${c}\n`).join('');
  if (text.startsWith('name: ')) {
    const eol = text.indexOf('\n') + 1;
    return text.slice(0, eol) + block + text.slice(eol);
  }
  return block + text;
}
