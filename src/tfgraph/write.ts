/**
 * Serialising a GraphBuilder as a standard TF.js GraphModel folder: model.json plus
 * `group1-shardKofN.bin` weight shards (float32/int32, little-endian, each at most 4 MiB).
 * Written atomically: everything goes to a temp folder beside the target, which is renamed in.
 */
import * as fs from 'fs';
import * as path from 'path';
import { SenetError } from '../errors';
import { DType, NodeDefJson, shapeJson, TensorShapeJson, tfDataType, TfDataType } from './attrs';
import { GraphBuilder, GraphWeight } from './graph-builder';
import { ModelMetadata } from './metadata';

/** The folder exists and `force` was not given. */
export class OutputExistsError extends SenetError {
  constructor(readonly target: string) {
    super(`${target}: already exists (use --force to replace it)`);
  }
}

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
  userDefinedMetadata?: ModelMetadata | Record<string, unknown>;
}

export interface WriteGraphModelOptions {
  /** Replace an existing folder (only after the new one is complete). */
  force?: boolean;
  /** Free-form metadata (normally ModelMetadata); must not contain the reserved key `signature`. */
  metadata?: ModelMetadata | Record<string, unknown>;
  generatedBy?: string;
  convertedBy?: string;
  /** Maximum shard size in bytes (default 4 MiB). */
  shardBytes?: number;
}

function packageVersion(): string {
  // src/tfgraph and dist/tfgraph are both two levels below the package root.
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * The model.json object (without writing anything) and the shard payloads, each shard as the list
 * of byte views (over the weights' own memory, never copied) it is made of, in order.
 */
export function serializeGraphModel(
  g: GraphBuilder,
  opts: Omit<WriteGraphModelOptions, 'force'> = {},
): { modelJson: ModelJson; shards: Uint8Array[][] } {
  if (opts.metadata !== undefined && Object.prototype.hasOwnProperty.call(opts.metadata, 'signature')) {
    throw new SenetError("model metadata must not contain the key 'signature' (tfjs would take it as the model signature)");
  }
  if (g.outputs.length === 0) throw new SenetError('the graph has no outputs (call GraphBuilder.output)');
  const shardBytes = opts.shardBytes ?? SHARD_BYTES;
  const shards = planShards(g.weights, shardBytes);
  const paths = shards.map((_, i) => `group1-shard${i + 1}of${shards.length}.bin`);
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
  return { modelJson, shards };
}

/**
 * Cuts the concatenation of all weights (4-byte elements, little-endian) into shards of
 * `shardBytes`, a weight may span shards. Each shard is a list of views over the weights'
 * memory: the model is never concatenated (for a 460 MB model that copy cost more than the
 * conversion itself).
 */
function planShards(weights: readonly GraphWeight[], shardBytes: number): Uint8Array[][] {
  if (!Number.isInteger(shardBytes) || shardBytes < 4 || shardBytes % 4 !== 0) {
    throw new SenetError(`shard size must be a positive multiple of 4 bytes, got ${shardBytes}`);
  }
  const shards: Uint8Array[][] = [];
  let cur: Uint8Array[] = [];
  let room = shardBytes;
  for (const w of weights) {
    // Typed arrays are host-endian; every platform Node runs on is little-endian, as TF.js expects.
    let bytes = new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength);
    while (bytes.length > 0) {
      if (room === 0) {
        shards.push(cur);
        cur = [];
        room = shardBytes;
      }
      const n = Math.min(room, bytes.length);
      cur.push(bytes.subarray(0, n));
      bytes = bytes.subarray(n);
      room -= n;
    }
  }
  if (cur.length > 0 || shards.length === 0) shards.push(cur);
  return shards;
}

/** Writes one file from its pieces with gathering writes (no joined copy). */
function writePieces(file: string, pieces: readonly Uint8Array[]): void {
  const fd = fs.openSync(file, 'w');
  try {
    // writev takes at most IOV_MAX (1024) buffers and may write less than asked.
    let i = 0;
    let skip = 0;
    while (i < pieces.length) {
      const batch = pieces.slice(i, i + 1024);
      if (skip > 0) batch[0] = batch[0].subarray(skip);
      let n = fs.writevSync(fd, batch);
      while (i < pieces.length && n > 0) {
        const left = pieces[i].length - skip;
        if (n >= left) {
          n -= left;
          i++;
          skip = 0;
        } else {
          skip += n;
          n = 0;
        }
      }
      while (i < pieces.length && pieces[i].length === 0) i++;
    }
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Writes the GraphModel folder `dir` atomically. Refuses an existing `dir` unless `force`;
 * with `force` the old folder is replaced only after the new one is complete.
 */
export function writeGraphModel(dir: string, g: GraphBuilder, opts: WriteGraphModelOptions = {}): ModelJson {
  const target = path.resolve(dir);
  if (fs.existsSync(target) && !opts.force) throw new OutputExistsError(dir);
  const { modelJson, shards } = serializeGraphModel(g, opts);
  const parent = path.dirname(target);
  fs.mkdirSync(parent, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(parent, `.${path.basename(target)}.tmp-`));
  try {
    const paths = modelJson.weightsManifest[0].paths;
    shards.forEach((pieces, i) => writePieces(path.join(tmp, paths[i]), pieces));
    fs.writeFileSync(path.join(tmp, 'model.json'), JSON.stringify(modelJson));
    if (fs.existsSync(target)) {
      const old = `${tmp}.old`;
      fs.renameSync(target, old);
      try {
        fs.renameSync(tmp, target);
      } catch (e) {
        fs.renameSync(old, target);
        throw e;
      }
      fs.rmSync(old, { recursive: true, force: true });
    } else {
      fs.renameSync(tmp, target);
    }
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return modelJson;
}
