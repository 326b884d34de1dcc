import type { Argv, CommandModule } from 'yargs';
import { predict, type Prediction } from '../../api';
import { SenetError, UsageError } from '../../errors';
import { openRunner, BACKEND_ORDER, type BackendName } from '../../runtime';
import { describePreprocessing, preprocessingFor, readModelMetadata } from '../../verify';
import { commonOptions, preprocessFlags, preprocessOptions, type PreprocessArgs } from '../options';
import { createProgress } from '../progress';

interface PredictArgs extends PreprocessArgs {
  model: string;
  images: string[];
  top: number;
  json?: boolean;
  quiet?: boolean;
  backend?: string;
  threads?: number;
}

/** `senet predict (DIR | MODEL.onnx) IMAGE... [--top 5] [--json]`. */
export const predictCommand: CommandModule<object, PredictArgs> = {
  command: 'predict <model> <images..>',
  describe: "top-k classes of images with a converted model (its preprocessing and class order)",
  builder: (y: Argv) =>
    preprocessOptions(
      commonOptions(y, '[{ image, top: [{ index, synset, words, label, probability }] }]')
        .positional('model', { type: 'string', demandOption: true, describe: 'converted model: a TF.js GraphModel folder or an .onnx file' })
        .positional('images', { type: 'string', array: true, demandOption: true, describe: 'image files' })
        .option('top', { type: 'number', default: 5, describe: 'classes to show per image' })
        .option('backend', { type: 'string', choices: [...BACKEND_ORDER], describe: 'TF.js backend (default: the best available)' })
        .option('threads', { type: 'number', describe: 'ONNX Runtime intra-op threads (.onnx models)' }),
    )
      .example('$0 predict se-resnet-50 cat.jpg', 'the 5 most likely ImageNet classes')
      .example('$0 predict se-resnet-50 *.jpg --json --top 1', 'the most likely class of each image, as JSON') as unknown as Argv<PredictArgs>,
  handler: async (args) => {
    if (!Number.isInteger(args.top) || args.top < 1) throw new UsageError('--top must be a positive integer');
    const progress = createProgress({ quiet: Boolean(args.quiet || args.json) });
    const md = readModelMetadata(args.model);
    const flags = preprocessFlags(args);
    const pre = preprocessingFor(md.caffeInputShape, md.preprocessing, flags);
    const results: ({ image: string; top: Prediction[] } | { image: string; error: string })[] = [];
    const t0 = Date.now();
    progress.note(`loading ${args.model}`);
    const runner = await openRunner(args.model, { backend: args.backend as BackendName | undefined, threads: args.threads });
    try {
      progress.note(`loaded in ${((Date.now() - t0) / 1000).toFixed(1)} s (${runner.description}); preprocessing ${describePreprocessing(pre)}`);
      const phase = args.images.length > 1 ? progress.phase('predict', args.images.length) : undefined;
      for (const image of args.images) {
        // One image at a time, so progress can follow (api.predict: the pipeline eval uses), and a
        // bad image is named while the others are still predicted.
        try {
          const [top] = await predict(runner, [image], { ...flags, top: args.top });
          results.push({ image, top });
        } catch (e) {
          if (!(e instanceof SenetError)) throw e;
          results.push({ image, error: e.message });
          if (!args.json) progress.note(e.message);
        }
        phase?.update(results.length, image);
      }
    } finally {
      progress.stop();
      await runner.dispose();
    }
    const failed = results.filter((r) => 'error' in r).length;
    const fail = (): void => {
      if (failed > 0) throw new SenetError(`${failed} of ${results.length} image(s) could not be read`);
    };
    if (args.json) {
      process.stdout.write(JSON.stringify(results, null, 2) + '\n');
      fail();
      return;
    }
    for (const r of results) {
      if ('error' in r) continue;
      process.stdout.write(`${r.image}\n`);
      for (const t of r.top) {
        const name = t.synset ? `${t.synset} ${t.words}` : t.label ?? '';
        process.stdout.write(`  ${(t.probability * 100).toFixed(2).padStart(6)}%  ${String(t.index).padStart(4)}  ${name}\n`);
      }
    }
    fail();
  },
};
