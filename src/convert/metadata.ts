/**
 * The metadata stage: what a converted model records about itself (input, layouts, blob names,
 * class order, preprocessing), the same for every target.
 */
import { UsageError } from '../errors';
import type { Shape } from '../layers';
import { METADATA_VERSION, graphInputShape, type ModelMetadata, type PreprocessingInfo } from '../model-metadata';
import type { ClassOrder } from './class-order';
import type { EmitResult } from './emitter';
import type { NetPlan } from './plan';
import type { ReleasePolicy } from './release';

export interface PreprocessingOptions {
  /** Per-channel mean (input channel order). */
  mean?: number[];
  /** Scale after mean subtraction. */
  scale?: number;
  /** Channel order of a 3-channel input, overriding the default. */
  channelOrder?: 'BGR' | 'RGB' | 'GRAY';
}

/** The preprocessing to record: the data layer's transform, the release's, then the caller's options. */
export function preprocessingFor(
  transform: PreprocessingInfo | undefined,
  release: ReleasePolicy | undefined,
  opts: PreprocessingOptions,
  inShape: Shape,
): PreprocessingInfo | undefined {
  const out: PreprocessingInfo = { ...(transform ?? {}) };
  const channels = inShape.length === 4 ? inShape[1] : undefined;
  // A data layer's transform_param: Caffe's image pipeline (OpenCV) hands it BGR.
  if (transform !== undefined && out.channelOrder === undefined) {
    if (channels === 3) out.channelOrder = 'BGR';
    else if (channels === 1) out.channelOrder = 'GRAY';
  }
  if (release !== undefined && out.mean === undefined) {
    out.mean = [...release.preprocessing.mean];
    out.channelOrder = release.preprocessing.channelOrder;
    out.inputRange = [...release.preprocessing.inputRange];
  }
  if (opts.mean !== undefined) {
    if (inShape.length >= 2 && opts.mean.length !== 1 && opts.mean.length !== inShape[1]) {
      throw new UsageError(`--mean has ${opts.mean.length} values but the input has ${inShape[1]} channels`);
    }
    out.mean = [...opts.mean];
  }
  if (opts.scale !== undefined) out.scale = opts.scale;
  if (opts.channelOrder !== undefined) {
    const need = opts.channelOrder === 'GRAY' ? 1 : 3;
    if (channels !== need) throw new UsageError(`--channel-order ${opts.channelOrder.toLowerCase()} needs a ${need}-channel NCHW input; the input is [${inShape.join(', ')}]`);
    out.channelOrder = opts.channelOrder;
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

export function modelMetadata(plan: NetPlan, emitted: EmitResult, classOrder: ClassOrder | undefined, preprocessing: PreprocessingInfo | undefined): ModelMetadata {
  // JSON.parse makes own properties of any key, so a blob named '__proto__' survives the round trip.
  const blobToTensor: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, t] of emitted.blobToTensor) blobToTensor[name] = t;
  const caffeInputShape = [-1, ...plan.inputShape.slice(1)];
  const metadata: ModelMetadata = {
    senetMetadataVersion: METADATA_VERSION,
    inputName: emitted.inputName,
    inputLayout: emitted.inputLayout,
    // The graph input's own shape (NHWC for TF.js), and Caffe's NCHW that senet's runtime takes.
    inputShape: graphInputShape(caffeInputShape, emitted.inputLayout),
    caffeInputShape,
    tensorLayout: emitted.tensorLayout,
    outputNames: [...plan.outputs],
    blobToTensor,
    extra: { blobOrder: plan.blobOrder.filter((b) => emitted.blobToTensor.has(b)) },
  };
  if (classOrder !== undefined) metadata.extra!.labelOrder = classOrder.to;
  if (preprocessing !== undefined) metadata.preprocessing = preprocessing;
  return metadata;
}
