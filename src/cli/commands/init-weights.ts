import type { Argv, CommandModule } from 'yargs';
import { writeCaffemodel } from '../../caffemodel';
import { randomWeights } from '../../reference';
import { UsageError } from '../../errors';
import { checkOutputFiles } from '../outputs';
import { readNpy, toFloat32 } from '../../runtime/npy';
import { readNetText } from '../../upgrade';

interface InitWeightsArgs {
  net: string;
  output: string;
  seed: number;
  calibrate: boolean;
  'calibrate-input'?: string;
  'input-shape'?: string;
  'bn-scale-factor': number;
}

/** "1,3,224,224" -> [1, 3, 224, 224]; UsageError for anything else. */
export function parseShapeArg(text: string): number[] {
  const parts = text.split(/[,x ]+/).filter((p) => p !== '');
  const dims = parts.map((p) => (/^\d+$/.test(p) ? Number(p) : NaN));
  if (dims.length === 0 || dims.some((d) => !Number.isSafeInteger(d) || d <= 0)) {
    throw new UsageError(`--input-shape '${text}' must be positive integers separated by commas, e.g. 1,3,224,224`);
  }
  return dims;
}

/** `senet init-weights NET -o W.caffemodel`: deterministic random weights Caffe can load. */
export const initWeightsCommand: CommandModule<object, InitWeightsArgs> = {
  command: 'init-weights <net>',
  describe: 'write deterministic random weights for a net (optionally with calibrated BatchNorm statistics)',
  builder: (y: Argv) =>
    y
      .positional('net', { type: 'string', demandOption: true, describe: 'net definition (prototxt)' })
      .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'caffemodel to write (atomically)' })
      .option('seed', { type: 'number', default: 1, describe: 'random seed (non-negative integer)' })
      .option('calibrate', {
        type: 'boolean',
        default: false,
        describe: 'set BatchNorm statistics from a forward pass on an N(0,1) input drawn from the seed',
      })
      .option('calibrate-input', {
        type: 'string',
        describe: 'calibrate BatchNorm statistics on this input instead (.npy, float32 NCHW; implies --calibrate)',
      })
      .option('input-shape', { type: 'string', describe: "shape of the net's input, N,C,H,W (default: the net's own)" })
      .option('bn-scale-factor', { type: 'number', default: 1, describe: 'BatchNorm scale factor F (statistics stored times F)' })
      .example('$0 init-weights SE-ResNet-50.prototxt -o r50.caffemodel --seed 7 --calibrate', '') as unknown as Argv<InitWeightsArgs>,
  handler: (args) => {
    if (!Number.isSafeInteger(args.seed) || args.seed < 0) throw new UsageError(`--seed must be a non-negative integer, not ${args.seed}`);
    const factor = args['bn-scale-factor'];
    if (!Number.isFinite(factor) || factor < 0) throw new UsageError(`--bn-scale-factor must be a finite number >= 0, not ${factor}`);
    const inputs = [args.net, args['calibrate-input']].filter((x): x is string => x !== undefined);
    checkOutputFiles([args.output], inputs);
    const net = readNetText(args.net);
    let inputShapes: Record<string, number[]> | undefined;
    if (args['input-shape'] !== undefined) {
      const shape = parseShapeArg(args['input-shape']);
      const inputs = [
        ...(net.input ?? []),
        ...(net.layer ?? []).filter((l) => (l.bottom ?? []).length === 0).flatMap((l) => l.top ?? []),
      ];
      if (inputs.length !== 1) {
        throw new UsageError(`--input-shape needs a net with exactly one input blob; ${args.net} has ${inputs.length} (${inputs.join(', ')})`);
      }
      inputShapes = { [inputs[0]]: shape };
    }
    let calibrate: boolean | { input: Float32Array } = args.calibrate;
    if (args['calibrate-input'] !== undefined) {
      // Calibration carries over poorly between input distributions, so calibrate on the data itself.
      calibrate = { input: toFloat32(readNpy(args['calibrate-input'])) };
    }
    const weights = randomWeights(net, { seed: args.seed, inputShapes, calibrate, bnScaleFactor: factor });
    writeCaffemodel(args.output, net, weights, { inputs });
    const params = weights.reduce((s, w) => s + w.blobs.reduce((t, b) => t + b.data.length, 0), 0);
    process.stderr.write(
      `senet: wrote ${args.output}: ${weights.length} layers with blobs, ${params} values, seed ${args.seed}${calibrate ? ', BatchNorm calibrated' : ''}\n`,
    );
  },
};
