/**
 * Stage 1 of the converter: the net as it runs in TEST. Rules applied, data layers replaced by
 * the graph input, layers with no part in inference dropped (the roles come from the layer
 * handlers), every type checked against the target, shapes inferred by Caffe's rules.
 */
import { isObjectPrototypeKey } from '../tfgraph/graph-builder';
import { NetError, UnsupportedLayerError, UsageError } from '../errors';
import { droppedAtInference, inferShapes, layerHandlers, layerIncluded, layerRole, TARGET_NAMES, type ConvertTarget, type NetShapes } from '../layers';
import type { LayerParameter, NetParameter } from '../schema';
import type { PreprocessingInfo } from '../model-metadata';

export interface PreparedNet {
  /** The TEST-phase layers, data layers made Input layers. */
  readonly params: LayerParameter[];
  /** The one input blob. */
  readonly inputBlob: string;
  /** What the data layer's transform_param says about preprocessing, when there was one. */
  readonly transform: PreprocessingInfo | undefined;
  readonly shapes: NetShapes;
}

/** Node-name safe form of a Caffe name (TF node names reject ':' and '^'); also used for made-up layer names. */
/** A Caffe name as a TF node name: no ':' or '^' (tensor syntax), never a JavaScript object key (TF.js looks nodes up in plain objects). */
export const sanitize = (s: string): string => {
  const t = s.replace(/[:^]/g, '_');
  return isObjectPrototypeKey(t) ? `${t}_` : t;
};

/** The TEST net of `net` with `inputShape` (N,C,H,W; required when the input is a data layer), checked for `target`. */
export function prepareNet(net: NetParameter, inputShape: number[] | undefined, target: ConvertTarget): PreparedNet {
  if (inputShape !== undefined && (inputShape.length < 1 || inputShape.some((d) => !Number.isInteger(d) || d <= 0))) {
    throw new UsageError(`input shape [${inputShape}] must be positive integers (N,C,H,W)`);
  }
  const { layers: params, inputBlob, transform } = testNet(net, inputShape);
  // Every type must convert before anything else happens.
  for (const l of params) {
    const type = l.type ?? '';
    if (layerRole(type) === 'input') continue;
    if (layerHandlers.get(type)?.convert?.[target] === undefined) {
      throw new UnsupportedLayerError(l.name ?? '(unnamed)', type, type === '' ? 'has no type' : `cannot be converted to ${TARGET_NAMES[target]}`);
    }
  }
  const shapes = inferShapes({ ...net, layer: params, layers: undefined, input: undefined, input_shape: undefined, input_dim: undefined }, {
    phase: 'TEST',
    inputShapes: inputShape !== undefined ? { [inputBlob]: inputShape } : undefined,
  });
  return { params, inputBlob, transform, shapes };
}

function testNet(net: NetParameter, inputShape: number[] | undefined): { layers: LayerParameter[]; inputBlob: string; transform: PreprocessingInfo | undefined } {
  const state = { phase: 'TEST' as const, level: net.state?.level ?? 0, stages: net.state?.stage ?? [] };
  const kept: LayerParameter[] = [];
  const inputs: string[] = [];
  let transform: PreprocessingInfo | undefined;
  // Legacy net-level inputs (an un-upgraded net): made into Input layers.
  (net.input ?? []).forEach((name, i) => {
    const dims = net.input_shape?.[i]?.dim ?? net.input_dim?.slice(4 * i, 4 * i + 4) ?? [];
    kept.push({ name: `input_${sanitize(name)}`, type: 'Input', top: [name], input_param: { shape: [{ dim: dims.map(Number) }] } });
    inputs.push(name);
  });
  for (const layer of net.layer ?? []) {
    if (!layerIncluded(layer, state)) continue;
    const type = layer.type ?? '';
    if (droppedAtInference(type)) continue;
    const role = layerRole(type);
    if (role === 'data') {
      const top = (layer.top ?? [])[0];
      if (top === undefined) continue;
      if (inputShape === undefined) {
        throw new UsageError(`layer '${layer.name}' (${type}) reads its data from files; give the input shape with --input-shape N,C,H,W`);
      }
      const t = layer.transform_param;
      if (t !== undefined && transform === undefined) {
        transform = {};
        if ((t.mean_value ?? []).length > 0) transform.mean = [...(t.mean_value ?? [])];
        if (t.scale !== undefined) transform.scale = t.scale;
        if (t.crop_size !== undefined && t.crop_size > 0) transform.cropSize = [t.crop_size, t.crop_size];
      }
      kept.push({ name: layer.name, type: 'Input', top: [top], input_param: { shape: [{ dim: inputShape }] } });
      inputs.push(top);
      continue;
    }
    if (role === 'input') inputs.push(...(layer.top ?? []));
    kept.push({ ...layer, include: undefined, exclude: undefined });
  }
  if (inputs.length !== 1) {
    throw new NetError(undefined, inputs.length === 0 ? 'the net has no input (no Input or data layer in the TEST phase)' : `the net has ${inputs.length} inputs (${inputs.join(', ')}); only one is supported`);
  }
  return { layers: kept, inputBlob: inputs[0], transform };
}
