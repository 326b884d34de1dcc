/** Reporting caffemodel weights the net leaves unused (see caffemodel/match unusedWeights). */
import type { UnusedWeights } from '../caffemodel';
import { WeightsError } from '../errors';

/** One line per unused layer, as warnings on stderr say it. */
export function describeUnused(u: UnusedWeights): string {
  return `layer '${u.layer}': ${u.blobs} blob(s) in the caffemodel not used (${u.reason})`;
}

/** The error `--strict` makes of unused weights: the first named, the count of the rest. */
export function unusedWeightsError(unused: readonly UnusedWeights[]): WeightsError {
  const first = unused[0];
  const more = unused.length > 1 ? `; ${unused.length - 1} more caffemodel layer(s) unused` : '';
  return new WeightsError(first.layer, undefined, `${first.blobs} blob(s) in the caffemodel not used (${first.reason})${more} (--strict)`);
}
