/**
 * Serialising a GraphBuilder as a standard TF.js GraphModel folder: model.json plus
 * `group1-shardKofN.bin` weight shards (float32/int32, little-endian, each at most 4 MiB),
 * streamed by shards.ts. Written atomically: everything goes to a temp folder beside the target,
 * which is renamed in.
 */
import * as fs from 'fs';
import * as path from 'path';
import { InputFileError, SenetError } from '../errors';
import { DType, NodeDefJson, shapeJson, TensorShapeJson, tfDataType, TfDataType } from './attrs';
import { GraphBuilder, weightByteLength } from './graph-builder';
import { checkShardBytes, shardCount, shardWriter } from './shards';
import { checkOutputTarget } from '../output-target';
import { discardTemp, holdTemp, releaseTemp, removeStaleTemps, tempPathFor } from '../temp-files';
import { writeErrorText } from '../atomic-write';
import { packageVersion } from '../package-version';

export { OutputExistsError } from '../output-target';

export const SHARD_BYTES = 4 * 1024 * 1024;

export interface WeightManifestEntryJson {
  name: string;
  shape: number[];
  dtype: DType;
}

export interface WeightsManifestGroupJson {
  paths: string[];
  weights: WeightManifestEntryJson[];
}

export interface SignatureTensorJson {
  name: string;
  dtype: TfDataType;
  tensorShape: TensorShapeJson;
}

export interface ModelJson {
  format: 'graph-model';
  generatedBy: string;
  convertedBy: string;
  modelTopology: { node: NodeDefJson[]; library: Record<string, never>; versions: { producer?: number } };
  weightsManifest: WeightsManifestGroupJson[];
  signature: { inputs: Record<string, SignatureTensorJson>; outputs: Record<string, SignatureTensorJson> };
  userDefinedMetadata?: object;
}

export interface WriteGraphModelOptions {
  /** Replace an existing converted model folder (only after the new one is complete). */
  force?: boolean;
  /** The command's input files, which the folder must not replace or hold. */
  inputs?: readonly string[];
  /** Free-form JSON metadata (the converter's ModelMetadata); must not contain the reserved key `signature`. */
  metadata?: object;
  generatedBy?: string;
  convertedBy?: string;
  /** Maximum shard size in bytes (default 4 MiB). */
  shardBytes?: number;
}

/** The model.json object, without writing anything (the shards are planned, not made). */
export function serializeGraphModel(
  g: GraphBuilder,
  opts: Omit<WriteGraphModelOptions, 'force' | 'inputs'> = {},
): { modelJson: ModelJson; weightBytes: number } {
  if (opts.metadata !== undefined && Object.prototype.hasOwnProperty.call(opts.metadata, 'signature')) {
    throw new SenetError("model metadata must not contain the key 'signature' (tfjs would take it as the model signature)");
  }
  if (g.outputs.length === 0) throw new SenetError('the graph has no outputs (call GraphBuilder.output)');
  const shardBytes = opts.shardBytes ?? SHARD_BYTES;
  checkShardBytes(shardBytes);
  const weightBytes = g.weights.reduce((a, w) => a + weightByteLength(w), 0);
  const n = shardCount(weightBytes, shardBytes);
  const paths = Array.from({ length: n }, (_, i) => `group1-shard${i + 1}of${n}.bin`);
  const sig = (entries: typeof g.inputs): Record<string, SignatureTensorJson> => {
    const out: Record<string, SignatureTensorJson> = {};
    for (const e of entries) {
      out[e.key] = { name: `${e.tensor.node}:${e.tensor.index}`, dtype: tfDataType(e.tensor.dtype), tensorShape: shapeJson(e.tensor.shape) };
    }
    return out;
  };
  const version = packageVersion();
  const modelJson: ModelJson = {
    format: 'graph-model',
    generatedBy: opts.generatedBy ?? `senet-caffe ${version}`,
    convertedBy: opts.convertedBy ?? `senet-caffe ${version}`,
    modelTopology: { node: g.nodeDefs.map((n) => ({ ...n })), library: {}, versions: {} },
    weightsManifest: [
      { paths, weights: g.weights.map((w) => ({ name: w.name, shape: [...w.shape], dtype: w.dtype })) },
    ],
    signature: { inputs: sig(g.inputs), outputs: sig(g.outputs) },
  };
  if (opts.metadata !== undefined) modelJson.userDefinedMetadata = opts.metadata;
  return { modelJson, weightBytes };
}

/**
 * Writes the GraphModel folder `dir` atomically. Refuses an existing `dir` unless `force`, and
 * even then replaces only a converted model folder (see output-target); the old folder goes only
 * after the new one is complete. The folder gets the umask's mode.
 */
export function writeGraphModel(dir: string, g: GraphBuilder, opts: WriteGraphModelOptions = {}): ModelJson {
  const steps = graphModelWriter(dir, g, opts);
  for (;;) {
    const r = steps.next();
    if (r.done === true) return r.value;
  }
}

/**
 * writeGraphModel that returns to the event loop between shards, so SIGINT/SIGTERM/SIGHUP are
 * handled during a long write (the temporary folder is removed; see temp-files).
 */
export async function writeGraphModelAsync(dir: string, g: GraphBuilder, opts: WriteGraphModelOptions = {}): Promise<ModelJson> {
  const steps = graphModelWriter(dir, g, opts);
  for (;;) {
    const r = steps.next();
    if (r.done === true) return r.value;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

function* graphModelWriter(dir: string, g: GraphBuilder, opts: WriteGraphModelOptions): Generator<void, ModelJson, void> {
  const target = path.resolve(dir);
  checkOutputTarget(dir, 'model-folder', { force: opts.force === true, inputs: opts.inputs });
  const { modelJson } = serializeGraphModel(g, opts);
  const parent = path.dirname(target);
  const tmp = tempPathFor(target);
  try {
    fs.mkdirSync(parent, { recursive: true });
    removeStaleTemps(parent);
    // mkdirSync applies the umask (mkdtemp would make it 0700 whatever the umask).
    fs.mkdirSync(tmp);
  } catch (e) {
    throw new InputFileError(dir, `cannot write: ${writeErrorText(e)}`);
  }
  holdTemp(tmp);
  try {
    yield* shardWriter(tmp, modelJson.weightsManifest[0].paths, g.weights, opts.shardBytes ?? SHARD_BYTES);
    fs.writeFileSync(path.join(tmp, 'model.json'), JSON.stringify(modelJson));
    // Checked again: something may have appeared at the target during the write.
    checkOutputTarget(dir, 'model-folder', { force: opts.force === true, inputs: opts.inputs });
    if (fs.existsSync(target)) {
      const old = tempPathFor(target);
      holdTemp(old);
      fs.renameSync(target, old);
      try {
        fs.renameSync(tmp, target);
      } catch (e) {
        fs.renameSync(old, target);
        releaseTemp(old);
        throw e;
      }
      discardTemp(old);
    } else {
      fs.renameSync(tmp, target);
    }
    releaseTemp(tmp);
  } catch (e) {
    discardTemp(tmp);
    if (e instanceof SenetError) throw e;
    throw new InputFileError(dir, `cannot write: ${writeErrorText(e)}`);
  }
  return modelJson;
}
