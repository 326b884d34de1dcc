/**
 * How learned blobs reach the layer handlers: from a loaded caffemodel (values in memory), or
 * from an indexed file (values read on demand). The transforms are the same either way; for
 * file-backed blobs `rewriteBlob` defers them to write time (a WeightSource), so a big model is
 * streamed from the caffemodel to the shards through reused buffers and never held.
 */
import { matchWeights, unusedWeights, type UnusedWeights, type BlobRef, type Caffemodel, type CaffemodelIndex, type PayloadReader } from '../caffemodel';
import type { LayerBlob } from '../layers';
import type { WeightSource } from '../tfgraph';

/** A caffemodel indexed by indexCaffemodel, with the open reader of its payloads. */
export interface StreamedWeights {
  index: CaffemodelIndex;
  payloads: PayloadReader;
}

export type WeightsInput = Caffemodel | StreamedWeights;

/** A blob still in the file: `data` reads it on first use (small blobs: BatchNorm, biases). */
export class FileBlob implements LayerBlob {
  private values: Float32Array | undefined;

  constructor(
    readonly shape: number[],
    private readonly ref: BlobRef,
    private readonly payloads: PayloadReader,
  ) {}

  get data(): Float32Array {
    if (this.values === undefined) this.values = this.payloads.readNew(this.ref);
    return this.values;
  }

  /** The values are in memory (then `data` is the blob's own array). */
  get loaded(): boolean {
    return this.values !== undefined;
  }

  /** The blob transformed by `fill` at write time, read through the reader's reused buffer. */
  deferred(fill: (src: Float32Array, out: Float32Array) => void): WeightSource {
    const ref = this.ref;
    const payloads = this.payloads;
    return {
      length: ref.count,
      writeInto: (out) => fill(this.values ?? payloads.readShared(ref), out),
    };
  }
}

/** The caffemodel's layers with blobs that the net leaves unused (see caffemodel/match). */
export function unusedLayerBlobs(netLayers: ReadonlyArray<{ name: string }>, weights: WeightsInput): UnusedWeights[] {
  return unusedWeights(netLayers, 'index' in weights ? weights.index : weights);
}

/** The net layers' blobs (matched by name and shape-checked), as handlers get them. */
export function matchLayerBlobs(
  netLayers: ReadonlyArray<{ name: string; type: string }>,
  weights: WeightsInput,
  expected: (layerName: string) => number[][] | undefined,
): Map<string, LayerBlob[]> {
  if ('index' in weights) {
    const { index, payloads } = weights;
    const matched = matchWeights(netLayers, index, expected);
    return new Map(matched.map((w) => [w.name, w.blobs.map((b): LayerBlob => new FileBlob(b.shape, b, payloads))]));
  }
  const matched = matchWeights(netLayers, weights, expected);
  return new Map(matched.map((w) => [w.name, w.blobs.map((b): LayerBlob => ({ shape: b.shape, data: b.data }))]));
}
