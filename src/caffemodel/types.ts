/** Types shared by the caffemodel reader, writer and weight matcher. */
import type { NetParameter } from '../schema';
import { V0_TYPE_TO_V1 } from '../upgrade/v0';
import { V1_TYPE_TO_V2 } from '../upgrade/v1';

export type { NetParameter };

/** One stored blob. */
export interface BlobData {
  /** Dimensions; [] is a scalar (count 1), as in Caffe. */
  shape: number[];
  /** The shape came from the deprecated num/channels/height/width fields (always 4 axes). */
  legacy: boolean;
  /** The values, row-major. Usually a view over the file's buffer: copy before mutating shared data. */
  data: Float32Array;
}

/** The blobs of one layer, with the layer's name and its (V2-style) type. */
export interface LayerWeights {
  name: string;
  /** V2 type string ("Convolution"); V1 enum and V0 strings are mapped to their V2 names. */
  type: string;
  blobs: BlobData[];
}

/** 'V2': NetParameter.layer; 'V1': NetParameter.layers (enum types); 'V0': V1 layers wrapping V0 ones. */
export type CaffemodelFormat = 'V2' | 'V1' | 'V0';

export interface Caffemodel {
  format: CaffemodelFormat;
  /** Every field of the file except blobs (`layer` for V2, `layers` for V1/V0 -- without `blobs`). */
  net: NetParameter;
  /** Every layer of the file, in file order (layers without blobs included). */
  layers: LayerWeights[];
}

/** A byte range [start, end) of the file holding (part of) a blob's values. */
export interface PayloadChunk {
  start: number;
  end: number;
}

/**
 * Where a stored blob's values are in its file, not the values (indexCaffemodel). 'f32': float
 * `data`, one chunk when packed (the usual case) or one per value when unpacked; 'f64':
 * `double_data`, read as float32 like Caffe does.
 */
export interface BlobRef {
  /** Dimensions; [] is a scalar (count 1), as in Caffe. */
  shape: number[];
  /** The shape came from the deprecated num/channels/height/width fields (always 4 axes). */
  legacy: boolean;
  /** Number of values (the product of `shape`; checked against the stored bytes). */
  count: number;
  kind: 'f32' | 'f64';
  /** Little-endian values, in order, in file order. */
  chunks: readonly PayloadChunk[];
}

/** The blobs of one layer as file references. */
export interface LayerIndex {
  name: string;
  type: string;
  blobs: BlobRef[];
}

/** A caffemodel walked without its payloads: the same `net` as Caffemodel, blobs as references. */
export interface CaffemodelIndex {
  format: CaffemodelFormat;
  net: NetParameter;
  layers: LayerIndex[];
  /** The file the references point into, and its size in bytes. */
  file: string;
  size: number;
}

// The type maps are the upgrade module's (Caffe's UpgradeV1LayerType / UpgradeV0LayerType).
const has = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** V1 enum name -> V2 type string (unknown names are returned unchanged). */
export function v1TypeToV2(v1: string): string {
  return has(V1_TYPE_TO_V2, v1) ? V1_TYPE_TO_V2[v1] : v1;
}

/** V2 type string -> V1 enum name, or undefined when V1 has no such type. */
export function v2TypeToV1(v2: string): string | undefined {
  for (const [k, v] of Object.entries(V1_TYPE_TO_V2)) if (v === v2 && k !== 'NONE') return k;
  return undefined;
}

/** V0 type string -> V2 type string (unknown strings are returned unchanged). */
export function v0TypeToV2(v0: string): string {
  const v1 = has(V0_TYPE_TO_V1, v0) ? V0_TYPE_TO_V1[v0] : undefined;
  return v1 === undefined ? v0 : v1TypeToV2(v1);
}
