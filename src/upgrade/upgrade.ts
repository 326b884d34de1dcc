/**
 * Caffe's UpgradeNetAsNeeded: the legacy formats a net may come in, brought to the current one in
 * Caffe's order (V0 -> V1, data transformation, V1 -> V2, input fields, BatchNorm params).
 * Output is what Caffe 1.0 (git 2018-08-21) produces, field for field.
 */
import { NetError } from '../errors';
import type { BlobShape, LayerParameter, NetParameter, TransformationParameter, V1LayerParameter } from '../schema';
import { cloneMessage } from './clone';
import { needsV0Upgrade, upgradeV0Net } from './v0';
import { needsV1Upgrade, upgradeV1Net } from './v1';

/** The upgrade steps, in the order they run. */
export const UPGRADE_STEPS = ['V0->V1', 'data-transform', 'V1->V2', 'input', 'BatchNorm'] as const;
export type UpgradeStep = (typeof UPGRADE_STEPS)[number];

/** A net Caffe refuses to upgrade; the message starts with the file: `FILE: layer 'x': ...`. */
export class NetUpgradeError extends NetError {
  constructor(readonly source: string, layer: string | undefined, detail: string) {
    super(layer, detail);
    this.message = `${source}: ${this.message}`;
  }
}

export interface UpgradeResult {
  /** The upgraded net (a new object; blob payloads are shared with the input). */
  net: NetParameter;
  /** The steps that ran, in order; empty when the net was already current. */
  applied: UpgradeStep[];
  /** Things Caffe drops with a logged error but carries on (e.g. a V0 field a layer type has no use for). */
  warnings: string[];
}

// --- data transformation (V1 data layers kept scale/mean_file/crop_size/mirror in their own params)

type DataParamKey = 'data_param' | 'image_data_param' | 'window_data_param';
const DATA_LAYERS: ReadonlyArray<readonly [string, DataParamKey]> = [
  ['DATA', 'data_param'],
  ['IMAGE_DATA', 'image_data_param'],
  ['WINDOW_DATA', 'window_data_param'],
];
const TRANSFORM_FIELDS = ['scale', 'mean_file', 'crop_size', 'mirror'] as const satisfies ReadonlyArray<
  keyof TransformationParameter
>;

function dataParamKey(l: V1LayerParameter): DataParamKey | undefined {
  const t = l.type === undefined ? undefined : String(l.type);
  return DATA_LAYERS.find(([type]) => type === t)?.[1];
}

/** Caffe's NetNeedsDataUpgrade (looks at V1 `layers` only). */
export function needsDataUpgrade(net: NetParameter): boolean {
  return (net.layers ?? []).some((l) => {
    const key = dataParamKey(l);
    const p = key === undefined ? undefined : (l[key] as Record<string, unknown> | undefined);
    return p !== undefined && TRANSFORM_FIELDS.some((f) => p[f] !== undefined);
  });
}

/** Moves the four fields into transform_param. Mutates `net` (a private copy). */
function upgradeDataTransform(net: NetParameter): void {
  for (const layer of net.layers ?? []) {
    const key = dataParamKey(layer);
    if (key === undefined) continue;
    // Caffe takes mutable_*_param() of every data layer, so both messages exist afterwards
    // even when empty; printing shows them as `transform_param {\n}`.
    const p = (layer[key] ??= {}) as Record<string, unknown>;
    const t = (layer.transform_param ??= {}) as Record<string, unknown>;
    for (const f of TRANSFORM_FIELDS) {
      if (p[f] !== undefined) {
        t[f] = p[f];
        delete p[f];
      }
    }
  }
}

// --- input fields -> Input layer

/** Caffe's NetNeedsInputUpgrade: any top-level `input`. */
export function needsInputUpgrade(net: NetParameter): boolean {
  return (net.input ?? []).length > 0;
}

/** Mutates `net` (a private copy). input_shape wins over input_dim when both are given. */
function upgradeInput(net: NetParameter): void {
  const inputs = net.input ?? [];
  const shapes = net.input_shape ?? [];
  const dims = net.input_dim ?? [];
  if (shapes.length > 0 || dims.length > 0) {
    // Caffe indexes past the end here (a crash or garbage dims); refuse instead.
    if (shapes.length > 0 && shapes.length < inputs.length) {
      throw new NetError(undefined, `${inputs.length} inputs but only ${shapes.length} input_shape entries`);
    }
    if (shapes.length === 0 && dims.length < 4 * inputs.length) {
      throw new NetError(
        undefined,
        `${inputs.length} inputs need ${4 * inputs.length} input_dim values (4 per input), found ${dims.length}`,
      );
    }
    const shape: BlobShape[] = inputs.map((_, i) =>
      shapes.length > 0 ? cloneMessage(shapes[i]) : { dim: dims.slice(4 * i, 4 * i + 4) },
    );
    const layer: LayerParameter = { name: 'input', type: 'Input', top: [...inputs], input_param: { shape } };
    net.layer = [layer, ...(net.layer ?? [])];
  }
  // An input without shape is a legacy caffemodel's: dropping it is all there is to do.
  delete net.input;
  delete net.input_shape;
  delete net.input_dim;
}

// --- BatchNorm with 3 param specs (the old way of freezing its statistics)

const isOldBatchNorm = (l: LayerParameter): boolean => l.type === 'BatchNorm' && (l.param ?? []).length === 3;

/** Caffe's NetNeedsBatchNormUpgrade. */
export function needsBatchNormUpgrade(net: NetParameter): boolean {
  return (net.layer ?? []).some(isOldBatchNorm);
}

/** This Caffe keeps the 3 specs (and their names) but zeroes lr_mult and decay_mult. */
function upgradeBatchNorm(net: NetParameter): void {
  for (const layer of net.layer ?? []) {
    if (!isOldBatchNorm(layer)) continue;
    for (const p of layer.param ?? []) {
      p.lr_mult = 0;
      p.decay_mult = 0;
    }
  }
}

// --- the whole upgrade

/** Caffe's NetNeedsUpgrade: true when upgradeNet would change anything. */
export function needsUpgrade(net: NetParameter): boolean {
  return (
    needsV0Upgrade(net) ||
    needsV1Upgrade(net) ||
    needsDataUpgrade(net) ||
    needsInputUpgrade(net) ||
    needsBatchNormUpgrade(net)
  );
}

/**
 * Upgrade a net to the current format; pure (the input is not modified). `source` names the
 * input in messages. Throws NetError where Caffe refuses the net (or would crash on it).
 */
export function upgradeNet(net: NetParameter, source: string): UpgradeResult {
  const applied: UpgradeStep[] = [];
  const warnings: string[] = [];
  let cur = net;
  let copied = false;
  const own = (): NetParameter => {
    if (!copied) {
      cur = cloneMessage(cur);
      copied = true;
    }
    return cur;
  };
  try {
    if (needsV0Upgrade(cur)) {
      cur = upgradeV0Net(cur, warnings);
      copied = true;
      applied.push('V0->V1');
    }
    if (needsDataUpgrade(cur)) {
      upgradeDataTransform(own());
      applied.push('data-transform');
    }
    if (needsV1Upgrade(cur)) {
      cur = upgradeV1Net(cur, warnings);
      copied = true;
      applied.push('V1->V2');
    }
    if (needsInputUpgrade(cur)) {
      upgradeInput(own());
      applied.push('input');
    }
    if (needsBatchNormUpgrade(cur)) {
      upgradeBatchNorm(own());
      applied.push('BatchNorm');
    }
  } catch (e) {
    if (e instanceof NetError && !(e instanceof NetUpgradeError)) throw new NetUpgradeError(source, e.layer, e.detail);
    throw e;
  }
  return { net: copied ? cur : cloneMessage(cur), applied, warnings: warnings.map((w) => `${source}: ${w}`) };
}
