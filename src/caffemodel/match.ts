/**
 * Matching a caffemodel's blobs to a net's layers by name, as Caffe's Net::CopyTrainedLayersFrom
 * does, with one deliberate difference: a net layer with learnable blobs that the model lacks is an
 * error here (Caffe would silently keep its random initialisation).
 */
import { WeightsError } from '../errors';
/** What matching needs of a stored blob: its shape (values or a file reference alike). */
export interface ShapedBlob {
  shape: number[];
  legacy: boolean;
}

/**
 * Caffe's Blob::ShapeEquals. A legacy (num, channels, height, width) blob matches an expected shape
 * of at most 4 axes whose left-padding with 1s to 4 axes equals it (bias 1x1x1xN fits [N]).
 */
export function shapeMatches(expected: number[], blob: ShapedBlob): boolean {
  if (blob.legacy) {
    if (expected.length > 4) return false;
    const padded = [1, 1, 1, 1].slice(0, 4 - expected.length).concat(expected);
    return padded.every((d, i) => d === blob.shape[i]);
  }
  return expected.length === blob.shape.length && expected.every((d, i) => d === blob.shape[i]);
}

const fmt = (s: number[]): string => `[${s.join(', ')}]`;

/**
 * The weights of every net layer that has learnable blobs, in net order, with each blob reshaped
 * to its expected shape (data shared, not copied). Works on loaded blobs and on BlobRefs alike.
 *
 * - `expected(name)` gives the learnable blob shapes of a net layer; `[]` means it has none. It
 *   may return `undefined` for a layer whose shapes the caller cannot tell: its blobs are then taken
 *   from the model as stored, unchecked (or it gets none).
 * - Model layers whose name is not in the net are ignored. When a name occurs more than once in the
 *   model, the last one wins (Caffe copies them in order).
 * - A net layer with learnable blobs that the model lacks, a blob-count mismatch or a shape
 *   mismatch is a WeightsError naming the layer, the blob index and both shapes.
 */
export function matchWeights<B extends ShapedBlob>(
  netLayers: ReadonlyArray<{ name: string; type: string }>,
  model: { layers: ReadonlyArray<{ name: string; blobs: B[] }> },
  expected: (layerName: string) => number[][] | undefined,
): Array<{ name: string; type: string; blobs: B[] }> {
  const source = new Map<string, { name: string; blobs: B[] }>();
  for (const l of model.layers) source.set(l.name, l);

  const out: Array<{ name: string; type: string; blobs: B[] }> = [];
  for (const layer of netLayers) {
    const want = expected(layer.name);
    const src = source.get(layer.name);
    if (want === undefined) {
      if (src !== undefined && src.blobs.length > 0) out.push({ name: layer.name, type: layer.type, blobs: src.blobs });
      continue;
    }
    if (want.length === 0 && (src === undefined || src.blobs.length === 0)) continue;
    if (src === undefined) {
      throw new WeightsError(
        layer.name,
        undefined,
        `the ${layer.type} layer needs ${want.length} learnable blob(s) (${want.map(fmt).join(', ')}) but the caffemodel has no layer of that name`,
      );
    }
    if (src.blobs.length !== want.length) {
      throw new WeightsError(
        layer.name,
        undefined,
        `the ${layer.type} layer has ${want.length} learnable blob(s) (${want.map(fmt).join(', ')}) but the caffemodel stores ${src.blobs.length} (${src.blobs.map((b) => fmt(b.shape)).join(', ') || 'none'})`,
      );
    }
    const blobs = src.blobs.map((b, j): B => {
      if (!shapeMatches(want[j], b)) {
        throw new WeightsError(
          layer.name,
          j,
          `shape mismatch: the net expects ${fmt(want[j])}, the caffemodel stores ${fmt(b.shape)}${b.legacy ? ' (legacy num/channels/height/width)' : ''}`,
        );
      }
      return { ...b, shape: want[j].slice(), legacy: false };
    });
    out.push({ name: layer.name, type: layer.type, blobs });
  }
  return out;
}

/** Weights in a caffemodel that the net does not use. */
export interface UnusedWeights {
  /** The caffemodel layer's name. */
  layer: string;
  /** How many blobs it holds. */
  blobs: number;
  reason: 'no layer of that name in the net' | 'a later caffemodel layer of the same name is used instead';
}

/**
 * The caffemodel layers with blobs that matching leaves unused: named by no net layer (in the
 * phase converted), or shadowed by a later layer of the same name (Caffe copies in order, so the
 * last wins). Converting them away silently would hide a wrong prototxt (an SE caffemodel with a
 * net built without SE blocks converts otherwise).
 */
export function unusedWeights(
  netLayers: ReadonlyArray<{ name: string }>,
  model: { layers: ReadonlyArray<{ name: string; blobs: readonly unknown[] }> },
): UnusedWeights[] {
  const names = new Set(netLayers.map((l) => l.name));
  const lastIndex = new Map<string, number>();
  model.layers.forEach((l, i) => lastIndex.set(l.name, i));
  const out: UnusedWeights[] = [];
  model.layers.forEach((l, i) => {
    if (l.blobs.length === 0) return;
    if (!names.has(l.name)) out.push({ layer: l.name, blobs: l.blobs.length, reason: 'no layer of that name in the net' });
    else if (lastIndex.get(l.name) !== i) out.push({ layer: l.name, blobs: l.blobs.length, reason: 'a later caffemodel layer of the same name is used instead' });
  });
  return out;
}

/**
 * Caffe copies a caffemodel layer's blobs into the last net layer of that name only, so an earlier
 * net layer of the same name that needs weights would keep its random initialisation: refused.
 */
export function checkDuplicateWeightedLayers(netLayers: ReadonlyArray<{ name: string; type: string; blobShapes?: readonly unknown[] }>): void {
  const last = new Map<string, number>();
  netLayers.forEach((l, i) => last.set(l.name, i));
  netLayers.forEach((l, i) => {
    const j = last.get(l.name)!;
    if (j !== i && (l.blobShapes?.length ?? 0) > 0) {
      throw new WeightsError(
        l.name,
        undefined,
        `the ${l.type} layer #${i} shares its name with layer #${j} (${netLayers[j].type}); Caffe loads the caffemodel's weights into the last layer of a name only, so this one would keep random values: rename one of them`,
      );
    }
  });
}
