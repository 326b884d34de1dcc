/**
 * V0 -> V1: layers whose parameters sit in a nested V0LayerParameter (`layers { layer { type:
 * "conv" ... } }`) become V1 layers with an enum type and typed *_param messages. Follows Caffe's
 * UpgradeV0PaddingLayers + UpgradeV0LayerParameter + UpgradeV0Net, including what they drop.
 */
import { NetError } from '../errors';
import type {
  NetParameter,
  V0LayerParameter,
  V1LayerParameter,
  V1LayerParameter_LayerType,
} from '../schema';
import { cloneMessage } from './clone';

/** V0 type strings and their V1 enum (Caffe's UpgradeV0LayerType; anything else is fatal there). */
export const V0_TYPE_TO_V1: Readonly<Record<string, V1LayerParameter_LayerType>> = {
  accuracy: 'ACCURACY',
  bnll: 'BNLL',
  concat: 'CONCAT',
  conv: 'CONVOLUTION',
  data: 'DATA',
  dropout: 'DROPOUT',
  euclidean_loss: 'EUCLIDEAN_LOSS',
  flatten: 'FLATTEN',
  hdf5_data: 'HDF5_DATA',
  hdf5_output: 'HDF5_OUTPUT',
  im2col: 'IM2COL',
  images: 'IMAGE_DATA',
  infogain_loss: 'INFOGAIN_LOSS',
  innerproduct: 'INNER_PRODUCT',
  lrn: 'LRN',
  multinomial_logistic_loss: 'MULTINOMIAL_LOGISTIC_LOSS',
  pool: 'POOLING',
  relu: 'RELU',
  sigmoid: 'SIGMOID',
  softmax: 'SOFTMAX',
  softmax_loss: 'SOFTMAX_LOSS',
  split: 'SPLIT',
  tanh: 'TANH',
  window_data: 'WINDOW_DATA',
};

/** The V0 type strings Caffe upgrades (besides "padding", which is folded away). */
export const V0_LAYER_TYPES: readonly string[] = Object.keys(V0_TYPE_TO_V1);

/** True when any layer still nests a V0LayerParameter (Caffe's NetNeedsV0ToV1Upgrade). */
export function needsV0Upgrade(net: NetParameter): boolean {
  return (net.layers ?? []).some((l) => l.layer !== undefined);
}

const v0Type = (l: V1LayerParameter): string => l.layer?.type ?? '';
const v0Name = (l: V1LayerParameter, i: number): string => l.layer?.name ?? l.name ?? `#${i}`;

/**
 * Removes "padding" layers: the conv/pool layer reading a padding layer's output gets its `pad`
 * and reads the padding layer's input instead. The result is a fresh net.
 */
export function foldV0Padding(net: NetParameter): NetParameter {
  const { layers: given, ...rest } = net;
  const layers = given ?? [];
  const kept: V1LayerParameter[] = [];
  const out: NetParameter = { ...cloneMessage(rest), layers: kept };
  // Index of the layer that last wrote each blob; -1 for net inputs.
  const lastTop = new Map<string, number>();
  for (const name of net.input ?? []) lastTop.set(name, -1);
  layers.forEach((conn, i) => {
    const type = v0Type(conn);
    if (type !== 'padding') kept.push(cloneMessage(conn));
    const bottoms = conn.bottom ?? [];
    bottoms.forEach((blob, j) => {
      const src = lastTop.get(blob);
      if (src === undefined) {
        throw new NetError(v0Name(conn, i), `bottom '${blob}' is neither a net input nor the top of an earlier layer`);
      }
      if (src === -1) return;
      const source = layers[src];
      if (v0Type(source) !== 'padding') return;
      const where = v0Name(conn, i);
      const padName = v0Name(source, src);
      if (type !== 'conv' && type !== 'pool') {
        throw new NetError(where, `padding layer '${padName}' feeds a layer of type '${type}'; only conv and pool layers can absorb padding`);
      }
      if (bottoms.length !== 1) throw new NetError(where, `takes padding layer '${padName}' as input, so it must have exactly one bottom`);
      if ((source.bottom ?? []).length !== 1) throw new NetError(padName, 'a padding layer must have exactly one bottom');
      if ((source.top ?? []).length !== 1) throw new NetError(padName, 'a padding layer must have exactly one top');
      const target = kept[kept.length - 1];
      const v0 = (target.layer ??= {});
      // Caffe copies the padding layer's pad even when unset (then its default, 0).
      v0.pad = source.layer?.pad ?? 0;
      (target.bottom as string[])[j] = (source.bottom as string[])[0];
    });
    for (const blob of conn.top ?? []) lastTop.set(blob, i);
  });
  return out;
}

/** Per-type routing of V0 fields; a field on a type that has no place for it is dropped with a warning. */
function upgradeV0Layer(conn: V1LayerParameter, index: number, warnings: string[]): V1LayerParameter {
  const out: V1LayerParameter = {};
  if (conn.bottom !== undefined && conn.bottom.length > 0) out.bottom = [...conn.bottom];
  if (conn.top !== undefined && conn.top.length > 0) out.top = [...conn.top];
  const v0 = conn.layer;
  if (v0 === undefined) return out;
  if (v0.name !== undefined) out.name = v0.name;
  const type = v0.type ?? '';
  const label = v0.name ?? `#${index}`;
  if (v0.type !== undefined) {
    const t = Object.prototype.hasOwnProperty.call(V0_TYPE_TO_V1, type) ? V0_TYPE_TO_V1[type] : undefined;
    if (t === undefined) {
      throw new NetError(label, `unknown V0 layer type '${type}' (known: ${V0_LAYER_TYPES.join(', ')})`);
    }
    out.type = t;
  }
  if (v0.blobs !== undefined && v0.blobs.length > 0) out.blobs = cloneMessage(v0.blobs);
  if (v0.blobs_lr !== undefined && v0.blobs_lr.length > 0) out.blobs_lr = [...v0.blobs_lr];
  if (v0.weight_decay !== undefined && v0.weight_decay.length > 0) out.weight_decay = [...v0.weight_decay];

  const drop = (field: string): void => {
    warnings.push(`layer '${label}': V0 parameter '${field}' has no meaning for layer type '${type}' and was dropped (as Caffe does)`);
  };
  const conv = () => (out.convolution_param ??= {});
  const ip = () => (out.inner_product_param ??= {});
  const pool = () => (out.pooling_param ??= {});
  const lrn = () => (out.lrn_param ??= {});
  const data = () => (out.data_param ??= {});
  const hdf5 = () => (out.hdf5_data_param ??= {});
  const images = () => (out.image_data_param ??= {});
  const window = () => (out.window_data_param ??= {});
  const transform = () => (out.transform_param ??= {});
  const set = <K extends keyof V0LayerParameter>(key: K, route: (v: NonNullable<V0LayerParameter[K]>) => boolean): void => {
    const v = v0[key];
    if (v === undefined) return;
    if (!route(v as NonNullable<V0LayerParameter[K]>)) drop(String(key));
  };
  const isConv = type === 'conv';
  const isIp = type === 'innerproduct';

  /** Routes a V0 field to conv, inner product or pooling params, depending on the type. */
  const route3 = (onConv?: () => void, onIp?: () => void, onPool?: () => void): boolean => {
    const f = isConv ? onConv : isIp ? onIp : type === 'pool' ? onPool : undefined;
    if (f === undefined) return false;
    f();
    return true;
  };
  const only = (t: string, f: () => void): boolean => {
    if (type !== t) return false;
    f();
    return true;
  };
  set('num_output', (v) => route3(() => (conv().num_output = v), () => (ip().num_output = v)));
  set('biasterm', (v) => route3(() => (conv().bias_term = v), () => (ip().bias_term = v)));
  set('weight_filler', (v) =>
    route3(() => (conv().weight_filler = cloneMessage(v)), () => (ip().weight_filler = cloneMessage(v))),
  );
  set('bias_filler', (v) => route3(() => (conv().bias_filler = cloneMessage(v)), () => (ip().bias_filler = cloneMessage(v))));
  set('pad', (v) => route3(() => (conv().pad = [v]), undefined, () => (pool().pad = v)));
  set('kernelsize', (v) => route3(() => (conv().kernel_size = [v]), undefined, () => (pool().kernel_size = v)));
  set('group', (v) => route3(() => (conv().group = v)));
  set('stride', (v) => route3(() => (conv().stride = [v]), undefined, () => (pool().stride = v)));
  set('pool', (v) => route3(undefined, undefined, () => (pool().pool = v)));
  set('dropout_ratio', (v) => only('dropout', () => ((out.dropout_param ??= {}).dropout_ratio = v)));
  set('local_size', (v) => only('lrn', () => (lrn().local_size = v)));
  set('alpha', (v) => only('lrn', () => (lrn().alpha = v)));
  set('beta', (v) => only('lrn', () => (lrn().beta = v)));
  set('k', (v) => only('lrn', () => (lrn().k = v)));
  set('source', (v) => {
    if (type === 'data') data().source = v;
    else if (type === 'hdf5_data') hdf5().source = v;
    else if (type === 'images') images().source = v;
    else if (type === 'window_data') window().source = v;
    else if (type === 'infogain_loss') (out.infogain_loss_param ??= {}).source = v;
    else return false;
    return true;
  });
  // Transformation fields go to transform_param whatever the layer type.
  set('scale', (v) => ((transform().scale = v), true));
  set('meanfile', (v) => ((transform().mean_file = v), true));
  set('batchsize', (v) => {
    if (type === 'data') data().batch_size = v;
    else if (type === 'hdf5_data') hdf5().batch_size = v;
    else if (type === 'images') images().batch_size = v;
    else if (type === 'window_data') window().batch_size = v;
    else return false;
    return true;
  });
  set('cropsize', (v) => ((transform().crop_size = v), true));
  set('mirror', (v) => ((transform().mirror = v), true));
  set('rand_skip', (v) => {
    if (type === 'data') data().rand_skip = v;
    else if (type === 'images') images().rand_skip = v;
    else return false;
    return true;
  });
  set('shuffle_images', (v) => only('images', () => (images().shuffle = v)));
  set('new_height', (v) => only('images', () => (images().new_height = v)));
  set('new_width', (v) => only('images', () => (images().new_width = v)));
  set('concat_dim', (v) => only('concat', () => ((out.concat_param ??= {}).concat_dim = v)));
  set('det_fg_threshold', (v) => only('window_data', () => (window().fg_threshold = v)));
  set('det_bg_threshold', (v) => only('window_data', () => (window().bg_threshold = v)));
  set('det_fg_fraction', (v) => only('window_data', () => (window().fg_fraction = v)));
  set('det_context_pad', (v) => only('window_data', () => (window().context_pad = v)));
  set('det_crop_mode', (v) => only('window_data', () => (window().crop_mode = v)));
  set('hdf5_output_param', (v) => only('hdf5_output', () => (out.hdf5_output_param = cloneMessage(v))));
  // new_num / new_channels have no V1 counterpart; Caffe ignores them silently.
  return out;
}

/**
 * V0 net -> V1 net. Like Caffe, only name, layers, input, input_dim and force_backward survive;
 * other net-level fields are dropped (reported in `warnings`).
 */
export function upgradeV0Net(net: NetParameter, warnings: string[]): NetParameter {
  const padded = foldV0Padding(net);
  const out: NetParameter = {};
  if (padded.name !== undefined) out.name = padded.name;
  out.layers = (padded.layers ?? []).map((l, i) => upgradeV0Layer(l, i, warnings));
  if (padded.input !== undefined && padded.input.length > 0) out.input = [...padded.input];
  if (padded.input_dim !== undefined && padded.input_dim.length > 0) out.input_dim = [...padded.input_dim];
  if (padded.force_backward !== undefined) out.force_backward = padded.force_backward;
  for (const key of ['state', 'debug_info', 'input_shape', 'layer'] as const) {
    const v = padded[key];
    if (v !== undefined && !(Array.isArray(v) && v.length === 0)) {
      warnings.push(`net field '${key}' is dropped by the V0 -> V1 upgrade (as Caffe does)`);
    }
  }
  return out;
}
