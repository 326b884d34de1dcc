/**
 * Loading a GraphModel folder from disk in plain Node (no tfjs-node, whose file:// handler is
 * the usual way): an IOHandler that reads model.json and the shards, then stock loadGraphModel.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { GraphModel, loadGraphModel } from '@tensorflow/tfjs-converter';
import { InputFileError } from '../errors';
import { INPUT_LIMITS, readInputFile } from '../input-file';
import { checkModelJson } from './validate-model';
import { asModelMetadata, ModelMetadata } from '../model-metadata';

function readJson(file: string): tf.io.ModelJSON {
  const text = readInputFile(file, INPUT_LIMITS.text, 'a model.json').toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InputFileError(file, `not valid JSON (${(e as Error).message})`);
  }
  checkModelJson(json, file, path.dirname(file));
  return json as tf.io.ModelJSON;
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
            // checkModelJson confined the paths to the folder.
            const file = path.join(dir, p);
            const bytes = readInputFile(file, INPUT_LIMITS.binary, 'a weight shard');
            buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
          }
          specs.push(...group.weights);
        }
        const expected = specs.reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1) * 4, 0);
        const got = buffers.reduce((s, b) => s + b.byteLength, 0);
        if (got !== expected) throw new InputFileError(dir, `weight shards hold ${got} bytes, the manifest needs ${expected}`);
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

/**
 * Throws unless `dir` has a model.json; a regular file is named as such (an ONNX model is told
 * by its .onnx name, see isOnnxModelPath).
 */
export function checkModelFolder(dir: string): void {
  if (fs.existsSync(path.join(dir, 'model.json'))) return;
  let isFile = false;
  try {
    isFile = fs.statSync(dir).isFile();
  } catch {
    // missing: the message below says what was expected
  }
  throw new InputFileError(dir, isFile ? 'is a file, not a model: give a TF.js GraphModel folder or an ONNX file named *.onnx' : 'no model.json here (expected a TF.js GraphModel folder)');
}

/** Loads a GraphModel folder (call initBackend first). */
export async function loadModel(dir: string): Promise<LoadedModel> {
  checkModelFolder(dir);
  const json = readJson(path.join(dir, 'model.json'));
  const topology = json.modelTopology as { node?: { name: string }[] };
  const nodeNames = new Set((topology.node ?? []).map((n) => n.name));
  let model: GraphModel;
  try {
    model = await loadGraphModel(fileSystemHandler(dir, json));
  } catch (e) {
    if (e instanceof InputFileError) throw e;
    // What checkModelJson cannot foresee (an op's attributes TF.js rejects) still names the folder.
    throw new InputFileError(dir, `TF.js cannot load this model: ${(e instanceof Error ? e.message : String(e)).split('\n')[0].slice(0, 300)}`);
  }
  return { model, metadata: asModelMetadata(model.metadata), dir, nodeNames };
}
