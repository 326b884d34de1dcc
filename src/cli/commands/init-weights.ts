import type { Argv, CommandModule } from 'yargs';
import { writeCaffemodel } from '../../caffemodel';
import { randomWeights, type CalibrateOptions } from '../../reference';
import { UsageError } from '../../errors';
import { checkOutputFiles } from '../outputs';
import { readNpy, toFloat32 } from '../../runtime/npy';
import { ARCH_FLAGS, archFlagOptions, type ArchFlagArgs } from './generate';
import { netOfTarget } from '../net-target';
import { commonOptions } from '../options';
import { createProgress, type ProgressPhase } from '../progress';

interface InitWeightsArgs extends ArchFlagArgs {
  net: string;
  quiet?: boolean;
  json?: boolean;
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
    archFlagOptions(commonOptions(y, '{ output, net, layers, values, seed, calibrated, seconds }'))
      .group([...ARCH_FLAGS], 'Architecture IDs (as in senet generate):')
      .positional('net', { type: 'string', demandOption: true, describe: 'net definition (prototxt) or architecture ID (its deploy net, as senet generate writes it)' })
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
      .example('$0 init-weights SE-ResNet-50.prototxt -o r50.caffemodel --seed 7 --calibrate', 'a prototxt file')
      .example('$0 init-weights se-resnet-50 -o r50.caffemodel --calibrate', 'an architecture ID (its prototxt: senet generate se-resnet-50)') as unknown as Argv<InitWeightsArgs>,
  handler: (args) => {
    if (!Number.isSafeInteger(args.seed) || args.seed < 0) throw new UsageError(`--seed must be a non-negative integer, not ${args.seed}`);
    const factor = args['bn-scale-factor'];
    if (!Number.isFinite(factor) || factor < 0) throw new UsageError(`--bn-scale-factor must be a finite number >= 0, not ${factor}`);
    const t0 = Date.now();
    const inputs = [args.net, args['calibrate-input']].filter((x): x is string => x !== undefined);
    checkOutputFiles([args.output], inputs);
    const { net } = netOfTarget(args.net, args);
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
    const progress = createProgress({ quiet: Boolean(args.quiet || args.json) });
    let weights;
    let calibrated = false;
    try {
      let calibrate: boolean | CalibrateOptions = args.calibrate;
      if (args['calibrate-input'] !== undefined) {
        // Calibration carries over poorly between input distributions, so calibrate on the data itself.
        calibrate = { input: toFloat32(readNpy(args['calibrate-input'])) };
      }
      let phase: ProgressPhase | undefined;
      let layers = 0;
      if (calibrate) {
        calibrate = {
          ...(typeof calibrate === 'object' ? calibrate : {}),
          onLayer: (done, total, layer) => {
            layers = total;
            phase ??= progress.phase('calibrating BatchNorm, layer', total);
            phase.update(done + 1, `(${layer})`);
          },
        };
        calibrated = true;
      }
      weights = randomWeights(net, { seed: args.seed, inputShapes, calibrate, bnScaleFactor: factor });
      // Layers the pass skips (train-only ones) never report: close the count.
      phase?.update(layers);
    } finally {
      progress.stop();
    }
    writeCaffemodel(args.output, net, weights, { inputs });
    const params = weights.reduce((s, w) => s + w.blobs.reduce((t, b) => t + b.data.length, 0), 0);
    const seconds = (Date.now() - t0) / 1000;
    if (args.json) {
      process.stdout.write(JSON.stringify({ output: args.output, net: net.name ?? null, layers: weights.length, values: params, seed: args.seed, calibrated, seconds }, null, 2) + '\n');
    } else if (!args.quiet) {
      process.stderr.write(`senet: wrote ${args.output}: ${weights.length} layers with blobs, ${params} values, seed ${args.seed}${calibrated ? ', BatchNorm calibrated' : ''}\n`);
    }
  },
};
