/**
 * V1 -> V2: `layers` (V1LayerParameter, enum type) become `layer` (LayerParameter, string type),
 * as Caffe's UpgradeV1Net / UpgradeV1LayerParameter / UpgradeV1LayerType do it.
 */
import { NetError } from '../errors';
import type { LayerParameter, NetParameter, ParamSpec, V1LayerParameter } from '../schema';
import { cloneMessage } from './clone';

/** V1 enum name -> V2 type string, exactly Caffe's UpgradeV1LayerType (NONE becomes ""). */
export const V1_TYPE_TO_V2: Readonly<Record<string, string>> = {
  NONE: '',
  ABSVAL: 'AbsVal',
  ACCURACY: 'Accuracy',
  ARGMAX: 'ArgMax',
  BNLL: 'BNLL',
  CONCAT: 'Concat',
  CONTRASTIVE_LOSS: 'ContrastiveLoss',
  CONVOLUTION: 'Convolution',
  DECONVOLUTION: 'Deconvolution',
  DATA: 'Data',
  DROPOUT: 'Dropout',
  DUMMY_DATA: 'DummyData',
  EUCLIDEAN_LOSS: 'EuclideanLoss',
  ELTWISE: 'Eltwise',
  EXP: 'Exp',
  FLATTEN: 'Flatten',
  HDF5_DATA: 'HDF5Data',
  HDF5_OUTPUT: 'HDF5Output',
  HINGE_LOSS: 'HingeLoss',
  IM2COL: 'Im2col',
  IMAGE_DATA: 'ImageData',
  INFOGAIN_LOSS: 'InfogainLoss',
  INNER_PRODUCT: 'InnerProduct',
  LRN: 'LRN',
  MEMORY_DATA: 'MemoryData',
  MULTINOMIAL_LOGISTIC_LOSS: 'MultinomialLogisticLoss',
  MVN: 'MVN',
  POOLING: 'Pooling',
  POWER: 'Power',
  RELU: 'ReLU',
  SIGMOID: 'Sigmoid',
  SIGMOID_CROSS_ENTROPY_LOSS: 'SigmoidCrossEntropyLoss',
  SILENCE: 'Silence',
  SOFTMAX: 'Softmax',
  SOFTMAX_LOSS: 'SoftmaxWithLoss',
  SPLIT: 'Split',
  SLICE: 'Slice',
  TANH: 'TanH',
  WINDOW_DATA: 'WindowData',
  THRESHOLD: 'Threshold',
};

/** The *_param messages V1 and V2 layers share; Caffe copies each one that is set. */
const SHARED_PARAMS = [
  'accuracy_param',
  'argmax_param',
  'concat_param',
  'contrastive_loss_param',
  'convolution_param',
  'data_param',
  'dropout_param',
  'dummy_data_param',
  'eltwise_param',
  'exp_param',
  'hdf5_data_param',
  'hdf5_output_param',
  'hinge_loss_param',
  'image_data_param',
  'infogain_loss_param',
  'inner_product_param',
  'lrn_param',
  'memory_data_param',
  'mvn_param',
  'pooling_param',
  'power_param',
  'relu_param',
  'sigmoid_param',
  'softmax_param',
  'slice_param',
  'tanh_param',
  'threshold_param',
  'window_data_param',
  'transform_param',
  'loss_param',
] as const satisfies ReadonlyArray<keyof V1LayerParameter & keyof LayerParameter>;

/** Caffe's NetNeedsV1ToV2Upgrade: any `layers` at all. */
export function needsV1Upgrade(net: NetParameter): boolean {
  return (net.layers ?? []).length > 0;
}

/** The V2 type string for a V1 enum value (a name; a number when the binary held an unknown value). */
export function v1LayerType(type: string | number, layer: string | undefined): string {
  const key = String(type);
  if (!Object.prototype.hasOwnProperty.call(V1_TYPE_TO_V2, key)) {
    throw new NetError(layer, `unknown V1 layer type ${key}`);
  }
  return V1_TYPE_TO_V2[key];
}

/** One V1 layer -> V2. A nested V0 layer is ignored, with a warning, as Caffe does. */
export function upgradeV1Layer(v1: V1LayerParameter, index: number, warnings: string[]): LayerParameter {
  const out: LayerParameter = {};
  const label = v1.name ?? `#${index}`;
  if (v1.bottom !== undefined && v1.bottom.length > 0) out.bottom = [...v1.bottom];
  if (v1.top !== undefined && v1.top.length > 0) out.top = [...v1.top];
  if (v1.name !== undefined) out.name = v1.name;
  if (v1.include !== undefined && v1.include.length > 0) out.include = cloneMessage(v1.include);
  if (v1.exclude !== undefined && v1.exclude.length > 0) out.exclude = cloneMessage(v1.exclude);
  if (v1.type !== undefined) out.type = v1LayerType(v1.type as string | number, v1.name);
  if (v1.blobs !== undefined && v1.blobs.length > 0) out.blobs = cloneMessage(v1.blobs);

  // param[i] collects name, share mode, lr and decay multipliers of blob i.
  const params: ParamSpec[] = [];
  const param = (i: number): ParamSpec => {
    while (params.length <= i) params.push({});
    return params[i];
  };
  (v1.param ?? []).forEach((name, i) => (param(i).name = name));
  (v1.blob_share_mode ?? []).forEach((mode, i) => {
    const m = String(mode);
    if (m !== 'STRICT' && m !== 'PERMISSIVE') throw new NetError(v1.name, `unknown blob_share_mode ${m}`);
    param(i).share_mode = m;
  });
  (v1.blobs_lr ?? []).forEach((lr, i) => (param(i).lr_mult = lr));
  (v1.weight_decay ?? []).forEach((d, i) => (param(i).decay_mult = d));
  if (params.length > 0) out.param = params;
  if (v1.loss_weight !== undefined && v1.loss_weight.length > 0) out.loss_weight = [...v1.loss_weight];

  const dst = out as Record<string, unknown>;
  for (const key of SHARED_PARAMS) {
    const v = v1[key];
    if (v !== undefined) dst[key] = cloneMessage(v);
  }
  if (v1.layer !== undefined) {
    warnings.push(`layer '${label}': its nested V0 layer was ignored (as Caffe does)`);
  }
  return out;
}

/** V1 net -> V2 net: every other net field is kept. Caffe refuses nets with both layers and layer. */
export function upgradeV1Net(net: NetParameter, warnings: string[]): NetParameter {
  if ((net.layer ?? []).length > 0) {
    throw new NetError(
      undefined,
      "the net has both 'layer' and 'layers' (V1) entries; Caffe refuses to upgrade such a mix. " +
        "Rewrite the V1 'layers { type: ENUM }' entries as 'layer { type: \"Name\" }' by hand",
    );
  }
  const { layers, ...rest } = net;
  const out: NetParameter = cloneMessage(rest);
  out.layer = (layers ?? []).map((l, i) => upgradeV1Layer(l, i, warnings));
  return out;
}
