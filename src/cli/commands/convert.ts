import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../errors';
import { convertFiles, type ConvertFilesProgress } from '../../convert';

interface ConvertArgs {
  net: string;
  weights: string;
  output: string;
  force: boolean;
  quiet: boolean;
  'input-shape'?: string;
  mean?: string;
  scale?: number;
}

/** "1,2,3" -> numbers; UsageError naming the option otherwise. */
export function parseNumberList(text: string, option: string, integers: boolean): number[] {
  const parts = text.split(',').map((s) => s.trim());
  const nums = parts.map(Number);
  if (parts.some((p) => p === '') || nums.some((n) => !Number.isFinite(n) || (integers && (!Number.isInteger(n) || n <= 0)))) {
    throw new UsageError(`--${option} '${text}' must be a comma-separated list of ${integers ? 'positive integers' : 'numbers'}`);
  }
  return nums;
}

/** Progress on stderr: a bar on a terminal, plain lines otherwise. */
function progressReporter(): { onProgress: (p: ConvertFilesProgress) => void; stop: () => void } {
  const tty = process.stderr.isTTY === true;
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  let bar: import('cli-progress').SingleBar | undefined;
  let lastLine = -1;
  const onProgress = (p: ConvertFilesProgress): void => {
    if (p.stage === 'read') process.stderr.write(`senet: reading ${p.file}\n`);
    else if (p.stage === 'convert') {
      if (tty) {
        if (bar === undefined) {
          // eslint-disable-next-line @typescript-eslint/no-require-imports
          const cp = require('cli-progress') as typeof import('cli-progress');
          bar = new cp.SingleBar({ format: 'senet: converting [{bar}] {value}/{total} {layer}', stream: process.stderr, clearOnComplete: true }, cp.Presets.shades_classic);
          bar.start(p.total, 0, { layer: '' });
        }
        bar.update(p.done, { layer: p.layer });
        if (p.done === p.total) {
          bar.stop();
          bar = undefined;
        }
      } else {
        // A line every 10 % of the layers.
        const tenth = Math.floor((p.done * 10) / Math.max(1, p.total));
        if (tenth !== lastLine) {
          lastLine = tenth;
          process.stderr.write(`senet: converting layer ${p.done}/${p.total}${p.layer ? ` (${p.layer})` : ''}\n`);
        }
      }
    } else if (p.stage === 'write') process.stderr.write(`senet: writing ${p.dir}\n`);
    else process.stderr.write(`senet: wrote ${p.dir} in ${p.seconds.toFixed(1)} s\n`);
  };
  return { onProgress, stop: () => bar?.stop() };
}

/** `senet convert NET.prototxt W.caffemodel -o DIR`. */
export const convertCommand: CommandModule<object, ConvertArgs> = {
  command: 'convert <net> <weights>',
  describe: 'convert a Caffe net (prototxt) and its weights (caffemodel) to a TF.js GraphModel folder',
  builder: (y: Argv) =>
    y
      .positional('net', { type: 'string', demandOption: true, describe: 'net definition (prototxt; legacy formats are upgraded)' })
      .positional('weights', { type: 'string', demandOption: true, describe: 'trained weights (caffemodel)' })
      .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'output folder (model.json + shards)' })
      .option('force', { type: 'boolean', default: false, describe: 'replace an existing output folder' })
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'no progress output' })
      .option('input-shape', { type: 'string', describe: 'N,C,H,W of the input (required when the net reads a data layer)' })
      .option('mean', { type: 'string', describe: 'per-channel mean recorded in the metadata, e.g. 104,117,123' })
      .option('scale', { type: 'number', describe: 'input scale recorded in the metadata' })
      .example('$0 convert SE-ResNet-50.prototxt SE-ResNet-50.caffemodel -o se-resnet-50', 'convert an official SENet') as unknown as Argv<ConvertArgs>,
  handler: (args) => {
    const inputShape = args['input-shape'] === undefined ? undefined : parseNumberList(args['input-shape'], 'input-shape', true);
    if (inputShape !== undefined && inputShape.length !== 4) throw new UsageError(`--input-shape needs 4 values N,C,H,W, got ${inputShape.length}`);
    const mean = args.mean === undefined ? undefined : parseNumberList(args.mean, 'mean', false);
    if (args.scale !== undefined && !Number.isFinite(args.scale)) throw new UsageError('--scale must be a number');
    const progress = args.quiet ? undefined : progressReporter();
    try {
      const r = convertFiles(args.net, args.weights, args.output, {
        force: args.force,
        quiet: args.quiet,
        inputShape,
        mean,
        scale: args.scale,
        onProgress: progress?.onProgress,
      });
      if (!args.quiet) {
        const mb = (r.weightBytes / 1048576).toFixed(1);
        process.stderr.write(`senet: ${r.layers} layers, ${r.folded.length} folded into convolutions, ${mb} MiB of weights\n`);
      }
    } finally {
      progress?.stop();
    }
  },
};
