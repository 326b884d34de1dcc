/**
 * What a converted model records about itself (model.json's `userDefinedMetadata`, an ONNX
 * file's metadata_props), so that it is self-describing: Caffe blob names, class order,
 * preprocessing, and the layout fields the runtime uses to accept and return NCHW (Caffe's
 * layout) whatever the graph runs. The converter writes it; the runtime and verify read it.
 * Someone using the graph with stock `tf.loadGraphModel` reads `inputShape` in `inputLayout`
 * order (what the graph's input takes) and `preprocessing`.
 *
 * Note: tfjs-converter treats `userDefinedMetadata.signature` as the model signature, so that
 * key is reserved (writeGraphModel refuses it).
 */
import type { LabelOrder } from '../imagenet';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Memory layout of a rank-4 tensor. */
export type Layout4 = 'NHWC' | 'NCHW';

/** The ImageNet class orders a 1000-way classifier may output (see src/imagenet). */
export type ImagenetLabelOrder = LabelOrder;

/**
 * The keys of `ModelMetadata.extra` that senet-caffe writes (convert) and reads (parity, eval,
 * predict); both sides go through this type so the names cannot drift apart.
 */
export interface ModelExtra {
  /**
   * Class order of a 1000-way ImageNet classifier's output. Absent: not an ImageNet classifier
   * in a known order (tools then assume Caffe's standard order).
   */
  labelOrder?: ImagenetLabelOrder;
  /**
   * Caffe blob names in the order a Caffe blob dump lists them (pycaffe's `net.blobs`: first
   * appearance as a top in the TEST net), restricted to blobs the graph holds. An array because
   * object key order is not the net's order (JS puts integer-like keys such as '12' first).
   */
  blobOrder?: string[];
  [key: string]: JsonValue | undefined;
}

export interface PreprocessingInfo {
  /** Per-channel mean subtracted from the input, in the input's channel order. */
  mean?: number[];
  /** Multiplier applied after mean subtraction (Caffe transform_param.scale). */
  scale?: number;
  /** Channel order the model expects, e.g. 'BGR' for most Caffe ImageNet models. */
  channelOrder?: 'BGR' | 'RGB' | 'GRAY';
  /** Pixel value range before mean subtraction, e.g. [0, 255]. */
  inputRange?: [number, number];
  /** Spatial size images are resized/cropped to. */
  cropSize?: [number, number];
}

/** The metadata layout convert writes. Version 1 stored `inputShape` in NCHW order whatever `inputLayout` said. */
export const METADATA_VERSION = 2;

export interface ModelMetadata {
  /** Version of this metadata layout (readers also accept 1, normalised by asModelMetadata). */
  senetMetadataVersion: 1 | 2;
  /** Name of the graph's input Placeholder (also its signature key). */
  inputName: string;
  /** Layout of the input Placeholder in the graph; 'NHWC' means callers' NCHW is transposed at the boundary. */
  inputLayout: Layout4;
  /** The graph input's shape, in `inputLayout` order (e.g. [-1, 224, 224, 3]); the batch may be -1 (free). */
  inputShape: number[];
  /** The same input in Caffe's NCHW order (e.g. [-1, 3, 224, 224]): what senet's runtime takes. */
  caffeInputShape: number[];
  /** Layout of rank-4 intermediate tensors in the graph (normally 'NHWC'). */
  tensorLayout: Layout4;
  /** Names of the graph's outputs, in order. */
  outputNames: string[];
  /** Caffe blob name -> TF node (tensor) name holding it, for fetching intermediates by blob name. */
  blobToTensor?: Record<string, string>;
  /** Per-tensor layout overrides for rank-4 tensors that are not in `tensorLayout`. */
  tensorLayouts?: Record<string, Layout4>;
  preprocessing?: PreprocessingInfo;
  /** Class labels in the model's output order. */
  labels?: string[];
  /** Where the model came from (prototxt/caffemodel names, architecture ID, ...). */
  source?: Record<string, JsonValue>;
  /** Typed keys (ModelExtra) and anything else a tool wants to carry. */
  extra?: ModelExtra;
}

/**
 * Narrow an unknown `userDefinedMetadata` to ModelMetadata, or undefined when it is not ours.
 * Malformed typed `extra` keys (see ModelExtra) are dropped from the returned copy, so readers can
 * trust the types.
 */
export function asModelMetadata(value: unknown): ModelMetadata | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const m = value as Partial<ModelMetadata>;
  const layoutOk = (l: unknown): boolean => l === 'NHWC' || l === 'NCHW';
  if (
    (m.senetMetadataVersion !== 1 && m.senetMetadataVersion !== 2) ||
    typeof m.inputName !== 'string' ||
    !layoutOk(m.inputLayout) ||
    !layoutOk(m.tensorLayout) ||
    !Array.isArray(m.inputShape) ||
    !Array.isArray(m.outputNames)
  ) {
    return undefined;
  }
  const shapes = m.senetMetadataVersion === 1 ? versionOneShapes(m.inputShape, m.inputLayout!) : undefined;
  if (shapes === undefined && !Array.isArray(m.caffeInputShape)) return undefined;
  const base = { ...(m as ModelMetadata), ...shapes };
  const extra = m.extra;
  if (extra === undefined || extra === null || typeof extra !== 'object') return base;
  const clean: ModelExtra = { ...extra };
  if (clean.labelOrder !== undefined && clean.labelOrder !== 'senet' && clean.labelOrder !== 'standard') delete clean.labelOrder;
  if (clean.blobOrder !== undefined && !(Array.isArray(clean.blobOrder) && clean.blobOrder.every((b) => typeof b === 'string'))) delete clean.blobOrder;
  return { ...base, extra: clean };
}

/** Version 1 wrote the NCHW shape under `inputShape`; readers get the version 2 fields. */
function versionOneShapes(nchw: number[], layout: Layout4): Pick<ModelMetadata, 'inputShape' | 'caffeInputShape'> {
  return { caffeInputShape: nchw.slice(), inputShape: layout === 'NHWC' ? graphInputShape(nchw, layout) : nchw.slice() };
}

/** An NCHW shape in the order of `layout` (rank-4 only; other ranks are the same in both). */
export function graphInputShape(nchw: readonly number[], layout: Layout4): number[] {
  if (layout === 'NCHW' || nchw.length !== 4) return nchw.slice();
  const [n, c, h, w] = nchw;
  return [n, h, w, c];
}
