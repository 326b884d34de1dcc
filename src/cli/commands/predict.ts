import type { Argv, CommandModule } from 'yargs';
import { SenetError, UsageError } from '../../errors';
import { openRunner, BACKEND_ORDER, type BackendName } from '../../runtime';
import {
  imagenetClasses, modelLabelOrder, preprocessImage, preprocessingFor, readModelMetadata, toProbabilities, topK,
} from '../../verify';

interface PredictArgs {
  model: string;
  images: string[];
  top: number;
  json: boolean;
  backend?: string;
  threads?: number;
}

/** `senet predict (DIR | MODEL.onnx) IMAGE... [--top 5] [--json]`. */
export const predictCommand: CommandModule<object, PredictArgs> = {
  command: 'predict <model> <images..>',
  describe: "top-k classes of images with a converted model (its preprocessing and class order)",
  builder: (y: Argv) =>
    y
      .positional('model', { type: 'string', demandOption: true, describe: 'converted model: a TF.js GraphModel folder or an .onnx file' })
      .positional('images', { type: 'string', array: true, demandOption: true, describe: 'image files' })
      .option('top', { type: 'number', default: 5, describe: 'classes to show per image' })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON on stdout' })
      .option('backend', { type: 'string', choices: [...BACKEND_ORDER], describe: 'TF.js backend (default: the best available)' })
      .option('threads', { type: 'number', describe: 'ONNX Runtime intra-op threads (.onnx models)' })
      .example('$0 predict se-resnet-50 cat.jpg', 'the 5 most likely ImageNet classes') as unknown as Argv<PredictArgs>,
  handler: async (args) => {
    if (!Number.isInteger(args.top) || args.top < 1) throw new UsageError('--top must be a positive integer');
    const md = readModelMetadata(args.model);
    const pre = preprocessingFor(md.inputShape, md.preprocessing, {});
    const runner = await openRunner(args.model, { backend: args.backend as BackendName | undefined, threads: args.threads });
    if (!args.json) process.stderr.write(`senet: ${runner.description}\n`);
    const [, c, h, w] = md.inputShape;
    const output = md.outputNames[0];
    type Top = { index: number; synset?: string; words?: string; label?: string; probability: number }[];
    const results: ({ image: string; top: Top } | { image: string; error: string })[] = [];
    try {
      for (const image of args.images) {
        // Each image on its own: a bad one is named and the others are still predicted.
        let data: Float32Array;
        try {
          data = await preprocessImage(image, pre);
        } catch (e) {
          if (!(e instanceof SenetError)) throw e;
          results.push({ image, error: e.message });
          if (!args.json) process.stderr.write(`senet: ${e.message}\n`);
          continue;
        }
        const out = (await runner.run({ data, shape: [1, c, h, w] }, [output]))[output];
        const probs = toProbabilities(out.data);
        // Class names: the model's own labels, else ImageNet's in the model's order when it has 1000 classes.
        const names = md.labels?.length === probs.length ? undefined : probs.length === 1000 ? imagenetClasses(modelLabelOrder(md)) : undefined;
        results.push({
          image,
          top: topK(probs, Math.min(args.top, probs.length)).map((i) => ({
            index: i,
            ...(names ? { synset: names[i].synset, words: names[i].words } : {}),
            ...(md.labels?.length === probs.length ? { label: md.labels[i] } : {}),
            probability: probs[i],
          })),
        });
      }
    } finally {
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
