/**
 * Label lists for evaluation. The ImageNet class orders and permutations live in src/imagenet
 * (the converter needs them too); re-exported here as part of the verify API.
 */
import { InputFileError } from '../errors';
import { INPUT_LIMITS, readInputFile } from '../input-file';

export {
  LABEL_ORDERS, classifierPermutation, imagenetClasses, indexMap, invertPermutation, parseLabelOrder, permuteClassifier, permuteScores,
} from '../imagenet';
export type { ClassInfo, ClassifierBlobs, LabelOrder } from '../imagenet';

export interface LabelEntry {
  name: string;
  label: number;
  line: number;
}

/** Reads a val.txt-style list: `name index` per line (blank lines and # comments ignored). */
export function readLabelList(file: string): LabelEntry[] {
  const text = readInputFile(file, INPUT_LIMITS.text, 'a label list').toString('utf8');
  const out: LabelEntry[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^(.*\S)\s+(-?\d+)$/.exec(line);
    if (m === null) throw new InputFileError(`${file}:${i + 1}`, `expected 'name index', got '${line}'`);
    const label = Number(m[2]);
    if (label < 0) throw new InputFileError(`${file}:${i + 1}`, `negative class index ${label}`);
    out.push({ name: m[1], label, line: i + 1 });
  });
  if (out.length === 0) throw new InputFileError(file, 'no labels in this file');
  return out;
}
