/**
 * The SENet release policy: the official caffemodels output the ILSVRC2012 devkit class order
 * ('senet') and expect BGR input in [0, 255] minus the mean 104/117/123 (stated only in a comment
 * of the official prototxts). It applies to a net recognised as one of the seven official
 * architectures by its structure (structure-fingerprint.ts), or when the caller says so; never by
 * the net's name.
 *
 * The official structures are a table (release-fingerprints.generated.ts) derived from the
 * generators (src/archs) in both flavours, deploy phase; a test keeps it current.
 *
 * Train/test nets (`senet generate --phase train`) are deliberately not in it: the release shipped
 * deploy prototxts with its caffemodels, and a train/test file is what one trains new weights
 * with, whose class order is that run's (Caffe's usual ImageNet lists give 'standard'), and whose
 * data layer already records the preprocessing. Claiming 'senet' there could label a model wrongly
 * without a word; missing it only leaves the order unrecorded, and --senet-release (fine-tuning
 * from the release) says it.
 */
import type { LabelOrder } from '../imagenet';
import type { LayerParameter } from '../schema';
import type { PreprocessingInfo } from '../model-metadata';
import { OFFICIAL_FINGERPRINTS, type OfficialFingerprint } from './release-fingerprints.generated';
import { squareInputSize, structureFingerprint } from './structure-fingerprint';

export interface ReleasePolicy {
  /** Class order of the release's caffemodels. */
  readonly labels: LabelOrder;
  readonly preprocessing: Readonly<Required<Pick<PreprocessingInfo, 'mean' | 'channelOrder' | 'inputRange'>>>;
}

export const SENET_RELEASE: ReleasePolicy = {
  labels: 'senet',
  preprocessing: { mean: [104, 117, 123], channelOrder: 'BGR', inputRange: [0, 255] },
};

/** Fingerprint -> row, for the nets as released and as generated at other input sizes. */
const released = new Map<string, OfficialFingerprint>(OFFICIAL_FINGERPRINTS.map((f) => [f.released, f]));
const resized = new Map<string, OfficialFingerprint>(OFFICIAL_FINGERPRINTS.map((f) => [f.resized, f]));

/**
 * The official architecture (its generator id) whose structure the TEST-net layers have, if any:
 * as released (224 x 224), or as its generator makes it for the net's own square input size.
 */
export function officialArchitecture(layers: readonly LayerParameter[]): string | undefined {
  const fp = structureFingerprint(layers);
  const asReleased = released.get(fp);
  if (asReleased !== undefined) return asReleased.id;
  const other = resized.get(fp);
  // At the release's own size the generator keeps the fixed kernel: a global pooling there is another net.
  const size = squareInputSize(layers);
  return other !== undefined && size !== undefined && size !== other.inputSize ? other.id : undefined;
}

/**
 * The release policy for a net: `explicit` true applies it, false never; undefined applies it
 * when the net's structure is an official architecture's. Every official architecture ends in a
 * 1000-way ImageNet classifier: a net without one (`imagenetClassifier` false) is not compared.
 */
export function releasePolicyFor(layers: readonly LayerParameter[], explicit: boolean | undefined, imagenetClassifier = true): ReleasePolicy | undefined {
  const applies = explicit ?? (imagenetClassifier && officialArchitecture(layers) !== undefined);
  return applies ? SENET_RELEASE : undefined;
}
