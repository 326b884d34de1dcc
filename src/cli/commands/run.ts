import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../errors';
import { blobFileKey, initBackend, loadModel, readNpy, runModel, toFloat32, writeNpy, writeNpz, BACKEND_ORDER, type BackendName } from '../../runtime';

interface RunArgs {
  model: string;
  input: string;
  output: string;
  blob?: string[];
  backend?: string;
  json?: boolean;
  quiet?: boolean;
}

/** `senet run DIR --input X.npy --output Y.npy [--blob NAME ...] [--backend B]`. */
export const runCommand: CommandModule<object, RunArgs> = {
  command: 'run <model>',
  describe: 'run a converted model on an NCHW float32 .npy; write the outputs (or the named blobs) as .npy/.npz',
  builder: (y: Argv) =>
    y
      .positional('model', { type: 'string', demandOption: true, describe: 'converted model folder' })
      .option('input', { alias: 'i', type: 'string', demandOption: true, describe: 'input .npy (float32, NCHW)' })
      .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'output .npy (one blob) or .npz (several)' })
      .option('blob', { type: 'string', array: true, describe: 'Caffe blob(s) to fetch (default: the outputs)' })
      .option('backend', { type: 'string', choices: [...BACKEND_ORDER], describe: 'backend (default: the best available)' })
      .option('json', { type: 'boolean', describe: 'print JSON on stdout: backend, output, blobs [{ blob, key, shape, min, max }], seconds' })
      .option('quiet', { alias: 'q', type: 'boolean', describe: 'no message on stderr' })
      .example('$0 run se-resnet-50 -i x.npy -o prob.npy', 'class probabilities')
      .example('$0 run se-resnet-50 -i x.npy -o blobs.npz --blob conv1 --blob prob', 'two blobs') as unknown as Argv<RunArgs>,
  handler: async (args) => {
    const t0 = Date.now();
    const info = await initBackend(args.backend as BackendName | undefined);
    if (!args.quiet && !args.json) process.stderr.write(`senet: backend ${info.name}\n`);
    const arr = readNpy(args.input);
    const loaded = await loadModel(args.model);
    const blobs = args.blob !== undefined && args.blob.length > 0 ? args.blob : undefined;
    const names = blobs ?? loaded.metadata?.outputNames ?? loaded.model.outputNodes;
    const result = runModel(loaded, { data: toFloat32(arr), shape: [...arr.shape] }, { outputs: names });
    const several = names.length > 1;
    if (args.output.endsWith('.npz')) {
      const out: Record<string, { data: Float32Array; shape: number[] }> = {};
      for (const n of names) out[blobFileKey(n)] = result[n];
      writeNpz(args.output, out);
    } else {
      if (several) throw new UsageError(`${names.length} blobs (${names.join(', ')}) need an .npz output, not '${args.output}'`);
      writeNpy(args.output, result[names[0]]);
    }
    if (args.json) {
      const range = (d: Float32Array): [number, number] => {
        let lo = Infinity;
        let hi = -Infinity;
        for (const v of d) {
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
        return [lo, hi];
      };
      const blobsOut = names.map((n) => {
        const [min, max] = range(result[n].data);
        return { blob: n, key: args.output.endsWith('.npz') ? blobFileKey(n) : null, shape: result[n].shape, min: Number.isFinite(min) ? min : null, max: Number.isFinite(max) ? max : null };
      });
      process.stdout.write(JSON.stringify({ backend: info.name, output: args.output, blobs: blobsOut, seconds: (Date.now() - t0) / 1000 }, null, 2) + '\n');
    }
  },
};
