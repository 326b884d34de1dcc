/**
 * convertFiles: prototxt + caffemodel on disk -> a TF.js GraphModel folder, written atomically.
 * Everything that can fail on the input (parse, unsupported layers, weights) fails before the
 * output folder is touched. The caffemodel is indexed, not loaded: big weights stream from it
 * to the shards when they are written (memory stays far below the model's size).
 */
import * as fs from 'fs';
import * as path from 'path';
import { indexCaffemodel, PayloadReader } from '../caffemodel';
import { readNetText } from '../upgrade';
import { OutputExistsError, weightByteLength, writeGraphModel, type ModelJson } from '../tfgraph';
import { convertNet, type ConvertNetOptions, type ConvertedNet, type ConvertProgress } from './net';

export interface ConvertFilesOptions {
  /** Replace an existing output folder. */
  force?: boolean;
  /** No progress output. */
  quiet?: boolean;
  inputShape?: number[];
  mean?: number[];
  scale?: number;
  channelOrder?: ConvertNetOptions['channelOrder'];
  labels?: ConvertNetOptions['labels'];
  weightsLabels?: ConvertNetOptions['weightsLabels'];
  /** Progress sink; by default plain lines (or nothing when quiet). */
  onProgress?: (p: ConvertFilesProgress) => void;
}

export type ConvertFilesProgress =
  | { stage: 'read'; file: string }
  | ({ stage: 'convert' } & ConvertProgress)
  | { stage: 'write'; dir: string }
  | { stage: 'done'; dir: string; seconds: number };

export interface ConvertFilesResult {
  dir: string;
  modelJson: ModelJson;
  layers: number;
  folded: string[];
  weightBytes: number;
  /** The class order recorded (and whether the classifier was permuted), when one is. */
  labels?: ConvertedNet['labels'];
}

export function convertFiles(prototxtPath: string, caffemodelPath: string, outDir: string, opts: ConvertFilesOptions = {}): ConvertFilesResult {
  const t0 = Date.now();
  const report = opts.quiet ? undefined : opts.onProgress;
  // Refuse early (and again at the rename) so a long conversion is not wasted.
  if (fs.existsSync(outDir) && !opts.force) throw new OutputExistsError(outDir);
  report?.({ stage: 'read', file: prototxtPath });
  const net = readNetText(prototxtPath);
  report?.({ stage: 'read', file: caffemodelPath });
  const index = indexCaffemodel(caffemodelPath);
  const payloads = new PayloadReader(caffemodelPath);
  try {
    return convertAndWrite(prototxtPath, caffemodelPath, outDir, opts, { net, weights: { index, payloads }, t0 });
  } finally {
    payloads.close();
  }
}

function convertAndWrite(
  prototxtPath: string,
  caffemodelPath: string,
  outDir: string,
  opts: ConvertFilesOptions,
  input: { net: ConvertNetOptions['net']; weights: ConvertNetOptions['weights']; t0: number },
): ConvertFilesResult {
  const { net, weights, t0 } = input;
  const report = opts.quiet ? undefined : opts.onProgress;
  const converted = convertNet({
    net,
    weights,
    inputShape: opts.inputShape,
    mean: opts.mean,
    scale: opts.scale,
    channelOrder: opts.channelOrder,
    labels: opts.labels,
    weightsLabels: opts.weightsLabels,
    phase: 'TEST',
    // The weights read into memory (small ones, a permuted classifier) are this conversion's alone.
    consumeWeights: true,
    onProgress: report && ((p) => report({ stage: 'convert', ...p })),
  });
  converted.metadata.source = { prototxt: path.basename(prototxtPath), caffemodel: path.basename(caffemodelPath), netName: net.name ?? '' };
  report?.({ stage: 'write', dir: outDir });
  const modelJson = writeGraphModel(outDir, converted.graph, { force: opts.force, metadata: converted.metadata });
  report?.({ stage: 'done', dir: outDir, seconds: (Date.now() - t0) / 1000 });
  return {
    dir: outDir,
    modelJson,
    layers: converted.layers.length,
    folded: converted.folded,
    weightBytes: converted.graph.weights.reduce((s, w) => s + weightByteLength(w), 0),
    ...(converted.labels !== undefined ? { labels: converted.labels } : {}),
  };
}
