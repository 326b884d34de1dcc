/**
 * Loading a GraphModel folder from disk in plain Node (no tfjs-node, whose file:// handler is
 * the usual way): an IOHandler that reads model.json and the shards, then stock loadGraphModel.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { GraphModel, loadGraphModel } from '@tensorflow/tfjs-converter';
import { InputFileError } from '../errors';
import { asModelMetadata, ModelMetadata } from '../tfgraph/metadata';

function readJson(file: string): tf.io.ModelJSON {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputFileError(file, `cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InputFileError(file, `not valid JSON (${(e as Error).message})`);
  }
  const m = json as Partial<tf.io.ModelJSON> & { format?: string };
  if (typeof m !== 'object' || m === null || m.modelTopology == null) {
    throw new InputFileError(file, 'not a TF.js model.json (no modelTopology)');
  }
  if (m.format !== undefined && m.format !== 'graph-model') {
    throw new InputFileError(file, `format is '${m.format}', expected 'graph-model'`);
  }
  return m as tf.io.ModelJSON;
}

/** An IOHandler reading `dir/model.json` and its weight shards from the filesystem. */
export function fileSystemHandler(dir: string, modelJson?: tf.io.ModelJSON): tf.io.IOHandler {
  const modelFile = path.join(dir, 'model.json');
  return {
    load: async () => {
      const json = modelJson ?? readJson(modelFile);
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const buffers: ArrayBuffer[] = [];
        for (const group of manifest) {
          for (const p of group.paths) {
            const file = path.join(dir, p);
            let bytes: Buffer;
            try {
              bytes = fs.readFileSync(file);
            } catch (e) {
              throw new InputFileError(file, `cannot read weight shard (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
            }
            buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
          }
          specs.push(...group.weights);
        }
        const expected = specs.reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1) * 4, 0);
        const got = buffers.reduce((s, b) => s + b.byteLength, 0);
        if (got < expected) throw new InputFileError(dir, `weight shards hold ${got} bytes, the manifest needs ${expected}`);
        // A list of buffers is valid WeightData; tfjs slices weights that span shards itself.
        return [specs, buffers];
      });
    },
  };
}

export interface LoadedModel {
  model: GraphModel;
  /** senet-caffe metadata when the model carries it. */
  metadata: ModelMetadata | undefined;
  dir: string;
  /** Names of all graph nodes, for checking fetch requests before running. */
  nodeNames: ReadonlySet<string>;
}

/** Loads a GraphModel folder (call initBackend first). */
export async function loadModel(dir: string): Promise<LoadedModel> {
  if (!fs.existsSync(path.join(dir, 'model.json'))) {
    throw new InputFileError(dir, 'no model.json here (expected a TF.js GraphModel folder)');
  }
  const json = readJson(path.join(dir, 'model.json'));
  const topology = json.modelTopology as { node?: { name: string }[] };
  const nodeNames = new Set((topology.node ?? []).map((n) => n.name));
  const model = await loadGraphModel(fileSystemHandler(dir, json));
  return { model, metadata: asModelMetadata(model.metadata), dir, nodeNames };
}
