import * as path from 'path';
import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../errors';
import { readNpy, toFloat32 } from '../../runtime/npy';
import { loadTruthSource, writeTruthDir } from '../../verify/truth';
import { createProgress, type ProgressPhase } from '../progress';

interface ReferenceArgs {
  net: string;
  weights: string;
  input: string;
  output: string;
  dtype: 'float64' | 'float32';
  force: boolean;
  quiet: boolean;
  json?: boolean;
}

/** `senet reference NET W --input X.npy -o DIR`: every blob of our float64 forward pass. */
export const referenceCommand: CommandModule<object, ReferenceArgs> = {
  command: 'reference <net> <weights>',
  describe: "every blob of a TEST forward pass in float64 by senet-caffe's own reference kernels (not Caffe's), as .npy files",
  builder: (y: Argv) =>
    y
      .positional('net', { type: 'string', demandOption: true, describe: 'net definition (prototxt)' })
      .positional('weights', { type: 'string', demandOption: true, describe: 'caffemodel' })
      .option('input', { alias: 'i', type: 'string', demandOption: true, describe: 'input .npy (NCHW; its shape replaces the net input shape)' })
      .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'folder to write: <blob>.npy (/ as __) and reference.json' })
      .option('dtype', { type: 'string', choices: ['float64', 'float32'], default: 'float64', describe: 'element type of the files (computed in float64 either way)' })
      .option('force', { type: 'boolean', default: false, describe: 'replace an existing output folder (only once the new one is complete)' })
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'no progress output' })
      .option('json', { type: 'boolean', describe: 'print JSON on stdout: { output, blobs, dtype, seconds }' })
      .example('$0 reference net.prototxt w.caffemodel -i x.npy -o truth/', 'then: senet parity net.prototxt w.caffemodel -i x.npy -r caffe-blobs/ --truth truth/')
      .example('$0 reference net.prototxt w.caffemodel -i x.npy -o ref/ --dtype float32', 'a parity reference where no Caffe is at hand') as unknown as Argv<ReferenceArgs>,
  handler: (args) => {
    const progress = createProgress({ quiet: args.quiet || args.json === true });
    const arr = readNpy(args.input);
    if (arr.shape.length === 0) throw new UsageError(`${args.input}: the input must be an array, not a scalar`);
    const src = loadTruthSource(args.net, args.weights, { shape: arr.shape.slice(), data: arr.data instanceof Float64Array ? arr.data : toFloat32(arr) });
    let phase: ProgressPhase | undefined;
    let meta;
    try {
      meta = writeTruthDir(args.output, src.net, src.weights, src.input, {
        dtype: args.dtype,
        force: args.force,
        files: { net: path.basename(args.net), weights: path.basename(args.weights), input: path.basename(args.input) },
        onProgress: (p) => {
          phase ??= progress.phase('float64 reference, layer', p.total);
          phase.update(p.done, `(${p.layer})`);
        },
      });
    } finally {
      progress.stop();
    }
    if (args.json) process.stdout.write(JSON.stringify({ output: args.output, blobs: meta.blobs.length, dtype: meta.dtype, seconds: meta.seconds }, null, 2) + '\n');
    progress.note(`wrote ${args.output}: ${meta.blobs.length} blobs (${meta.dtype}) in ${meta.seconds.toFixed(1)} s; float64 values of senet-caffe's reference kernels, not Caffe's`);
  },
};
