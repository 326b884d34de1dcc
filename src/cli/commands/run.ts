import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../errors';
import { checkOutputFiles } from '../outputs';
import { blobFileKey, openRunner, readNpy, toFloat32, writeNpy, writeNpz, BACKEND_ORDER, type BackendName } from '../../runtime';

interface RunArgs {
  model: string;
  input: string;
  output: string;
  blob?: string[];
  backend?: string;
  threads?: number;
  json?: boolean;
  quiet?: boolean;
}

/** `senet run (DIR | MODEL.onnx) --input X.npy --output Y.npy [--blob NAME ...] [--backend B | --threads N]`. */
export const runCommand: CommandModule<object, RunArgs> = {
  command: 'run <model>',
  describe: 'run a converted model on an NCHW float32 .npy; write the outputs (or the named blobs) as .npy/.npz',
  builder: (y: Argv) =>
    y
      .positional('model', { type: 'string', demandOption: true, describe: 'converted model: a TF.js GraphModel folder or an .onnx file' })
      .option('input', { alias: 'i', type: 'string', demandOption: true, describe: 'input .npy (float32, NCHW)' })
      .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'output .npy (one blob) or .npz (several)' })
      .option('blob', { type: 'string', array: true, describe: 'Caffe blob(s) to fetch (default: the outputs)' })
      .option('backend', { type: 'string', choices: [...BACKEND_ORDER], describe: 'TF.js backend (default: the best available)' })
      .option('threads', { type: 'number', describe: 'ONNX Runtime intra-op threads (.onnx models; default: one per core)' })
      .option('json', { type: 'boolean', describe: 'print JSON on stdout: backend, engine, output, blobs [{ blob, key, shape, min, max }], seconds' })
      .option('quiet', { alias: 'q', type: 'boolean', describe: 'no message on stderr' })
      .example('$0 run se-resnet-50 -i x.npy -o prob.npy', 'class probabilities')
      .example('$0 run se-resnet-50 -i x.npy -o blobs.npz --blob conv1/7x7_s2 --blob prob', 'two blobs')
      .example('$0 run se-resnet-50.onnx -i x.npy -o prob.npy --threads 2', 'on ONNX Runtime') as unknown as Argv<RunArgs>,
  handler: async (args) => {
    const t0 = Date.now();
    const inputs = [args.model, args.input];
    checkOutputFiles([args.output], inputs);
    // Each blob once: a repeated --blob names the same tensor.
    const blobs = args.blob !== undefined && args.blob.length > 0 ? [...new Set(args.blob)] : undefined;
    const arr = readNpy(args.input);
    const runner = await openRunner(args.model, { backend: args.backend as BackendName | undefined, threads: args.threads, fetch: blobs });
    if (!args.quiet && !args.json) process.stderr.write(runner.engine === 'tfjs' ? `senet: backend ${runner.label}\n` : `senet: ${runner.description}\n`);
    const names = blobs ?? [...runner.outputNames];
    let result;
    try {
      result = await runner.run({ data: toFloat32(arr), shape: [...arr.shape] }, names);
    } finally {
      await runner.dispose();
    }
    const several = names.length > 1;
    if (args.output.endsWith('.npz')) {
      const out = Object.create(null) as Record<string, { data: Float32Array; shape: number[] }>;
      for (const n of names) out[blobFileKey(n)] = result[n];
      writeNpz(args.output, out, { inputs });
    } else {
      if (several) throw new UsageError(`${names.length} blobs (${names.join(', ')}) need an .npz output, not '${args.output}'`);
      writeNpy(args.output, result[names[0]], { inputs });
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
      process.stdout.write(JSON.stringify({ backend: runner.label, engine: runner.engine, output: args.output, blobs: blobsOut, seconds: (Date.now() - t0) / 1000 }, null, 2) + '\n');
    }
  },
};
