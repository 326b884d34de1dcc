/**
 * convertFiles: prototxt + caffemodel on disk -> a TF.js GraphModel folder or one ONNX file,
 * written atomically.
 * Everything that can fail on the input (parse, unsupported layers, weights) fails before the
 * output folder is touched. The caffemodel is indexed, not loaded: big weights stream from it
 * to the shards when they are written (memory stays far below the model's size).
 */
import * as path from 'path';
import { indexCaffemodel, PayloadReader, type UnusedWeights } from '../caffemodel';
import { readNetText } from '../upgrade';
import { initializerBytes, writeOnnxModelAsync } from '../onnx';
import { checkOutputTarget } from '../output-target';
import { weightByteLength, writeGraphModelAsync, type ModelJson } from '../tfgraph';
import { onnxMetadataProps } from './emit-onnx';
import { convertNet, convertNetToOnnx, type ConvertNetOptions, type ConvertedNet, type ConvertProgress } from './net';
import { packageVersion } from '../package-version';

/** The output formats: a TF.js GraphModel folder, or an ONNX file. */
export type ModelFormat = 'tfjs' | 'onnx';

/** The format a path asks for: an `.onnx` file is ONNX, anything else a GraphModel folder. */
export function formatOfPath(p: string): ModelFormat {
  return p.toLowerCase().endsWith('.onnx') ? 'onnx' : 'tfjs';
}

export interface ConvertFilesOptions {
  /** Replace an existing output folder or file. */
  force?: boolean;
  /** Output format; default from the output path (formatOfPath). */
  format?: ModelFormat;
  /** No progress output. */
  quiet?: boolean;
  /** Caffemodel weights the net does not use are an error (else listed in the result). */
  strict?: boolean;
  inputShape?: number[];
  mean?: number[];
  scale?: number;
  channelOrder?: ConvertNetOptions['channelOrder'];
  labels?: ConvertNetOptions['labels'];
  weightsLabels?: ConvertNetOptions['weightsLabels'];
  senetRelease?: ConvertNetOptions['senetRelease'];
  /** Progress sink; by default plain lines (or nothing when quiet). */
  onProgress?: (p: ConvertFilesProgress) => void;
}

export type ConvertFilesProgress =
  | { stage: 'read'; file: string }
  | ({ stage: 'convert' } & ConvertProgress)
  | { stage: 'write'; dir: string }
  | { stage: 'done'; dir: string; seconds: number };

export interface ConvertFilesResult {
  /** The output: the GraphModel folder or the ONNX file. */
  dir: string;
  format: ModelFormat;
  /** model.json (TF.js only). */
  modelJson?: ModelJson;
  /** The graph's output blobs. */
  outputs: string[];
  layers: number;
  folded: string[];
  weightBytes: number;
  /** Caffemodel layers whose blobs the net does not use. */
  unused: UnusedWeights[];
  /** The class order recorded (and whether the classifier was permuted), when one is. */
  labels?: ConvertedNet['labels'];
}

/**
 * Asynchronous only so that the write returns to the event loop between shards: an interrupt
 * then removes the temporary folder (see temp-files).
 */
export async function convertFiles(prototxtPath: string, caffemodelPath: string, outDir: string, opts: ConvertFilesOptions = {}): Promise<ConvertFilesResult> {
  const t0 = Date.now();
  const report = opts.quiet ? undefined : opts.onProgress;
  // Refuse early (and again at the rename) so a long conversion is not wasted.
  const kind = (opts.format ?? formatOfPath(outDir)) === 'onnx' ? 'file' : 'model-folder';
  checkOutputTarget(outDir, kind, { force: opts.force === true, inputs: [prototxtPath, caffemodelPath] });
  report?.({ stage: 'read', file: prototxtPath });
  const net = readNetText(prototxtPath);
  report?.({ stage: 'read', file: caffemodelPath });
  const index = indexCaffemodel(caffemodelPath);
  const payloads = new PayloadReader(caffemodelPath);
  try {
    return await convertAndWrite(prototxtPath, caffemodelPath, outDir, opts, { net, weights: { index, payloads }, t0 });
  } finally {
    payloads.close();
  }
}

async function convertAndWrite(
  prototxtPath: string,
  caffemodelPath: string,
  outDir: string,
  opts: ConvertFilesOptions,
  input: { net: ConvertNetOptions['net']; weights: ConvertNetOptions['weights']; t0: number },
): Promise<ConvertFilesResult> {
  const { net, weights, t0 } = input;
  const report = opts.quiet ? undefined : opts.onProgress;
  const netOpts: ConvertNetOptions = {
    net,
    weights,
    inputShape: opts.inputShape,
    mean: opts.mean,
    scale: opts.scale,
    channelOrder: opts.channelOrder,
    labels: opts.labels,
    weightsLabels: opts.weightsLabels,
    senetRelease: opts.senetRelease,
    phase: 'TEST',
    // The weights read into memory (small ones, a permuted classifier) are this conversion's alone.
    consumeWeights: true,
    strict: opts.strict,
    onProgress: report && ((p) => report({ stage: 'convert', ...p })),
  };
  const source = { prototxt: path.basename(prototxtPath), caffemodel: path.basename(caffemodelPath), netName: net.name ?? '' };
  if ((opts.format ?? formatOfPath(outDir)) === 'onnx') {
    const onnx = convertNetToOnnx(netOpts);
    onnx.metadata.source = source;
    const shapes = new Map<string, number[]>();
    for (const l of onnx.layers) l.tops.forEach((t, k) => shapes.set(t, l.outputShapes[k]));
    report?.({ stage: 'write', dir: outDir });
    checkOutputTarget(outDir, 'file', { force: opts.force === true, inputs: [prototxtPath, caffemodelPath] });
    await writeOnnxModelAsync(outDir, onnx.graph, { metadata: onnxMetadataProps(onnx.metadata, shapes), producerVersion: packageVersion() });
    report?.({ stage: 'done', dir: outDir, seconds: (Date.now() - t0) / 1000 });
    return {
      dir: outDir,
      format: 'onnx',
      outputs: onnx.metadata.outputNames,
      layers: onnx.layers.length,
      folded: onnx.folded,
      unused: onnx.unused,
      weightBytes: onnx.graph.initializers.reduce((s, w) => s + initializerBytes(w), 0),
      ...(onnx.labels !== undefined ? { labels: onnx.labels } : {}),
    };
  }
  const converted = convertNet(netOpts);
  converted.metadata.source = source;
  report?.({ stage: 'write', dir: outDir });
  const modelJson = await writeGraphModelAsync(outDir, converted.graph, { force: opts.force, inputs: [prototxtPath, caffemodelPath], metadata: converted.metadata });
  report?.({ stage: 'done', dir: outDir, seconds: (Date.now() - t0) / 1000 });
  return {
    dir: outDir,
    format: 'tfjs',
    modelJson,
    outputs: converted.metadata.outputNames,
    layers: converted.layers.length,
    folded: converted.folded,
    unused: converted.unused,
    weightBytes: converted.graph.weights.reduce((s, w) => s + weightByteLength(w), 0),
    ...(converted.labels !== undefined ? { labels: converted.labels } : {}),
  };
}

