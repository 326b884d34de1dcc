import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../errors';
import { convertFiles, describeUnused, formatOfPath, type ConvertFilesProgress } from '../../convert';
import { parseInputShape, parseNumberList } from '../args';
import { channelOrderOption, classOrderOption, commonOptions, deprecated, parseChannelOrder, parseClassOrder } from '../options';
import { createProgress, type Progress, type ProgressPhase } from '../progress';

interface ConvertArgs {
  net: string;
  weights: string;
  output: string;
  format?: string;
  force: boolean;
  strict: boolean;
  quiet?: boolean;
  json?: boolean;
  'input-shape'?: string;
  mean?: string;
  scale?: number;
  'channel-order'?: string;
  'class-order'?: string;
  'weights-class-order'?: string;
  labels?: string;
  'weights-labels'?: string;
  'senet-release'?: boolean;
}

/** Progress on stderr (see ../progress): file steps as lines, the layers as a bar or every 10 %. */
function progressReporter(progress: Progress): (p: ConvertFilesProgress) => void {
  let layers: ProgressPhase | undefined;
  return (p) => {
    if (p.stage === 'read') progress.note(`reading ${p.file}`);
    else if (p.stage === 'convert') {
      layers ??= progress.phase('converting layer', p.total);
      layers.update(p.done, p.layer ? `(${p.layer})` : undefined);
      if (p.done === p.total) {
        layers.end();
        layers = undefined;
      }
    } else if (p.stage === 'write') progress.note(`writing ${p.dir}`);
    else progress.note(`wrote ${p.dir} in ${p.seconds.toFixed(1)} s`);
  };
}

/** `senet convert NET.prototxt W.caffemodel -o DIR`. */
export const convertCommand: CommandModule<object, ConvertArgs> = {
  command: 'convert <net> <weights>',
  describe: 'convert a Caffe net (prototxt) and its weights (caffemodel) to a TF.js GraphModel folder or an ONNX file',
  builder: (y: Argv) =>
    classOrderOption(
      channelOrderOption(
        commonOptions(y, 'dir, format, layers, folded, outputs, weightBytes, unused, labels, seconds')
          .positional('net', { type: 'string', demandOption: true, describe: 'net definition (prototxt; legacy formats are upgraded)' })
          .positional('weights', { type: 'string', demandOption: true, describe: 'trained weights (caffemodel)' })
          .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'output: a folder (TF.js GraphModel: model.json + shards) or a file ending in .onnx (ONNX, opset 13)' })
          .option('format', { type: 'string', choices: ['tfjs', 'onnx'], describe: 'output format (default: onnx for an output ending in .onnx, else tfjs)' })
          .option('force', { type: 'boolean', default: false, describe: 'replace an earlier output: a folder holding a converted model and nothing else, or a file that is not an input' })
          .option('strict', { type: 'boolean', default: false, describe: 'fail when the caffemodel holds weights the net does not use (listed as warnings otherwise)' })
          .option('input-shape', { type: 'string', describe: 'N,C,H,W of the input (required when the net reads a data layer)' })
          .option('mean', { type: 'string', describe: 'per-channel mean recorded in the metadata, e.g. 104,117,123' })
          .option('scale', { type: 'number', describe: 'input scale recorded in the metadata' }),
        "channel order of the input recorded in the metadata (default BGR, Caffe's, for the official SENets and nets with a data layer transform_param)",
      ),
      "class order the converted model outputs ('standard', Caffe's sorted synsets, reorders the 1000-way classifier; default 'senet', the release's order, for the official SENets)",
    )
      .option('weights-class-order', { type: 'string', describe: "class order of the caffemodel's classifier (default 'senet' for the official SENets, 'standard' otherwise)" })
      .option('labels', { type: 'string', hidden: true, describe: 'old name of --class-order' })
      .option('weights-labels', { type: 'string', hidden: true, describe: 'old name of --weights-class-order' })
      .option('senet-release', {
        type: 'boolean',
        describe: "apply the SENet release's class order and preprocessing (BGR, mean 104,117,123); default: when the net's structure is one of the seven official architectures",
      })
      .example('$0 convert SE-ResNet-50.prototxt SE-ResNet-50.caffemodel -o se-resnet-50', 'convert an official SENet')
      .example('$0 convert SE-ResNet-50.prototxt SE-ResNet-50.caffemodel -o se-resnet-50.onnx', 'the same as one ONNX file (ONNX Runtime, OpenCV)')
      .example('$0 convert SE-ResNet-50.prototxt SE-ResNet-50.caffemodel -o se-resnet-50-std --class-order standard', "outputs in Caffe's standard class order") as unknown as Argv<ConvertArgs>,
  handler: async (args) => {
    const inputShape = parseInputShape(args['input-shape']);
    const mean = args.mean === undefined ? undefined : parseNumberList(args.mean, 'mean', false);
    if (args.scale !== undefined && !Number.isFinite(args.scale)) throw new UsageError('--scale must be a number');
    const channelOrder = parseChannelOrder(args['channel-order']);
    // The old names keep working, with a note (in convert they were class orders, not files).
    const renamed = (now: 'class-order' | 'weights-class-order', old: 'labels' | 'weights-labels') => {
      if (args[old] === undefined) return parseClassOrder(args[now], `--${now}`);
      if (args[now] !== undefined) throw new UsageError(`give --${now} only (--${old} is its old name)`);
      deprecated(`convert --${old}`, `--${now}`, args.quiet || args.json);
      return parseClassOrder(args[old], `--${old}`);
    };
    const labels = renamed('class-order', 'labels');
    const weightsLabels = renamed('weights-class-order', 'weights-labels');
    const progress = createProgress({ quiet: Boolean(args.quiet) });
    const t0 = Date.now();
    try {
      const r = await convertFiles(args.net, args.weights, args.output, {
        force: args.force,
        ...(args.format !== undefined ? { format: args.format === 'onnx' ? ('onnx' as const) : ('tfjs' as const) } : {}),
        strict: args.strict,
        quiet: Boolean(args.quiet),
        inputShape,
        mean,
        scale: args.scale,
        channelOrder,
        labels,
        weightsLabels,
        senetRelease: args['senet-release'],
        onProgress: args.quiet ? undefined : progressReporter(progress),
      });
      // Warnings, not progress: shown under --quiet too (nothing is dropped silently).
      for (const u of r.unused) process.stderr.write(`senet: warning: ${describeUnused(u)}\n`);
      if (r.format === 'onnx' && formatOfPath(args.output) !== 'onnx') {
        process.stderr.write(`senet: warning: ${args.output} is an ONNX file without the .onnx ending, by which run, bench, eval, predict and parity tell it from a GraphModel folder; rename it to end in .onnx\n`);
      }
      if (args.json) {
        const doc = { dir: r.dir, format: r.format, layers: r.layers, folded: r.folded, outputs: r.outputs, weightBytes: r.weightBytes, unused: r.unused, labels: r.labels ?? null, seconds: (Date.now() - t0) / 1000 };
        process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
      }
      if (!args.quiet) {
        const mb = (r.weightBytes / 1048576).toFixed(1);
        progress.note(`${r.layers} layers, ${r.folded.length} folded into convolutions, ${mb} MiB of weights`);
        if (r.labels !== undefined) {
          const how = r.labels.from === r.labels.to ? 'kept' : `reordered from '${r.labels.from}'`;
          progress.note(`classes in '${r.labels.to}' order (classifier '${r.labels.classifier}' ${how})`);
        }
      }
    } finally {
      progress.stop();
    }
  },
};
