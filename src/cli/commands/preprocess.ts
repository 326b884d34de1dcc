/** `senet preprocess MODEL IMAGE... -o x.npy`: the exact NCHW input eval and predict feed the model. */
import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../errors';
import { writeNpy } from '../../runtime';
import { describePreprocessing, preprocessBatch, preprocessingFor, readModelMetadata } from '../../verify';
import { commonOptions, preprocessFlags, preprocessOptions, type PreprocessArgs } from '../options';
import { createProgress } from '../progress';

interface PreprocessCommandArgs extends PreprocessArgs {
  model: string;
  images: string[];
  output: string;
  json?: boolean;
  quiet?: boolean;
}

export const preprocessCommand: CommandModule<object, PreprocessCommandArgs> = {
  command: 'preprocess <model> <images..>',
  describe: "images -> the model's NCHW float32 input as .npy (the pixels eval and predict feed it), for run and parity",
  builder: (y: Argv) =>
    preprocessOptions(
      commonOptions(y, '{ output, shape, images, preprocessing }')
        .positional('model', { type: 'string', demandOption: true, describe: 'converted model folder (its metadata gives size, mean, order)' })
        .positional('images', { type: 'string', array: true, demandOption: true, describe: 'image files, in batch order' })
        .option('output', { alias: 'o', type: 'string', demandOption: true, describe: '.npy to write (atomically): float32 [N, C, H, W]' }),
    )
      .example('$0 preprocess se-resnet-50 cat.jpg dog.jpg -o x.npy', 'a batch of two, then: senet run se-resnet-50 -i x.npy -o prob.npy') as unknown as Argv<PreprocessCommandArgs>,
  handler: async (args) => {
    if (!args.output.endsWith('.npy')) throw new UsageError(`-o '${args.output}' must name a .npy file`);
    const md = readModelMetadata(args.model);
    const pre = preprocessingFor(md.caffeInputShape, md.preprocessing, preprocessFlags(args));
    const n = md.caffeInputShape[0];
    if (n > 0 && n !== args.images.length) throw new UsageError(`the model takes batches of exactly ${n}; give ${n} images, not ${args.images.length}`);
    const progress = createProgress({ quiet: Boolean(args.quiet || args.json) });
    let batch: Awaited<ReturnType<typeof preprocessBatch>>;
    try {
      const phase = args.images.length > 1 ? progress.phase('preprocessing', args.images.length) : undefined;
      batch = await preprocessBatch(args.images, pre, (done) => phase?.update(done));
    } finally {
      progress.stop();
    }
    writeNpy(args.output, batch);
    const line = `wrote ${args.output}: [${batch.shape.join(', ')}] float32, preprocessing ${describePreprocessing(pre)}`;
    if (args.json) {
      process.stdout.write(JSON.stringify({ output: args.output, shape: batch.shape, images: args.images, preprocessing: pre }, null, 2) + '\n');
    } else if (!args.quiet) {
      process.stderr.write(`senet: ${line}\n`);
    }
  },
};
