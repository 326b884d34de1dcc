import * as fs from 'fs';
import * as path from 'path';
import type { Argv, CommandModule } from 'yargs';
import { SenetError, UsageError } from '../../errors';
import { createProgress, type ProgressPhase } from '../progress';
import { writeFileAtomic } from '../../atomic-write';
import { checkOutputFiles } from '../outputs';
import { checkOnnxThreads, initBackend, isOnnxModelPath, readNpy, toFloat32, BACKEND_ORDER, type BackendName } from '../../runtime';
import {
  convertAndOpen, DEFAULT_ABS_FLOOR, DEFAULT_ATOL, DEFAULT_NOISE_CEILING, DEFAULT_NOISE_FACTOR, DEFAULT_RTOL, formatParityTable, loadTruthSource, openModelDir, parityJson,
  parityJunit, readReference, readTruth, renderParityPage, runParityAsync, truthInMemory, type ParityModel, type TruthArray,
} from '../../verify';

interface ParityArgs {
  model: string[];
  input: string;
  reference: string;
  atol: number;
  rtol: number;
  'abs-floor': number;
  json: boolean;
  'allow-missing': boolean;
  junit?: string;
  html?: string;
  quiet: boolean;
  backend?: string;
  threads?: number;
  format?: string;
  truth?: string;
  'noise-factor': number;
  'noise-ceiling': number;
}

/** Parity failed (exit 1) after the report was printed. */
export class ParityFailedError extends SenetError {}

/** `senet parity (NET.prototxt W.caffemodel | DIR | MODEL.onnx) --input X.npy --reference REF`. */
export const parityCommand: CommandModule<object, ParityArgs> = {
  command: 'parity <model..>',
  describe: 'compare every blob of a converted model (or NET.prototxt W.caffemodel) with blobs dumped from real Caffe',
  builder: (y: Argv) =>
    y
      .positional('model', { type: 'string', array: true, demandOption: true, describe: 'converted model (GraphModel folder or .onnx file), or NET.prototxt W.caffemodel' })
      .option('input', { alias: 'i', type: 'string', demandOption: true, describe: 'input .npy (float32, NCHW) the reference was made with' })
      .option('reference', { alias: 'r', type: 'string', demandOption: true, describe: 'folder of <blob>.npy (/ as __) or one .npz' })
      .option('rtol', { type: 'number', default: DEFAULT_RTOL, describe: "bound on max |error| relative to the blob's max magnitude" })
      .option('abs-floor', {
        type: 'number', default: DEFAULT_ABS_FLOOR,
        describe: 'absolute floor added to the relative bound of ordinary blobs (not logits, not probabilities): max |error| <= abs-floor + rtol * max |ref|',
      })
      .option('atol', { type: 'number', default: DEFAULT_ATOL, describe: 'absolute bound for probability blobs (and all-zero blobs)' })
      .option('json', { type: 'boolean', default: false, describe: 'print the report as JSON on stdout' })
      .option('allow-missing', { type: 'boolean', default: false, describe: 'pass even when the reference lacks some of the model\'s blobs (by default that fails)' })
      .option('junit', { type: 'string', describe: 'also write JUnit XML (one testcase per blob) to this file' })
      .option('html', { type: 'string', describe: 'also write a self-contained HTML report (error chart, first divergence, table) to this file' })
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'no progress output' })
      .option('backend', { type: 'string', choices: [...BACKEND_ORDER], describe: 'TF.js backend (default: the best available)' })
      .option('threads', { type: 'number', describe: 'ONNX Runtime intra-op threads (ONNX models)' })
      .option('format', { type: 'string', choices: ['tfjs', 'onnx'], describe: 'with NET.prototxt W.caffemodel: the target converted to in memory (default tfjs)' })
      .option('truth', {
        type: 'string',
        describe: "float64 values to tell float32 noise from a bug: a folder made by 'senet reference', or no value to compute them here (NET W form)",
      })
      .option('noise-factor', { type: 'number', default: DEFAULT_NOISE_FACTOR, describe: "with --truth: a blob out of tolerance passes as float32 noise when the model is at most K x Caffe's distance from the float64 values" })
      .option('noise-ceiling', { type: 'number', default: DEFAULT_NOISE_CEILING, describe: 'with --truth: never excuse an error over this many times the blob\'s bound' })
      .example('$0 parity se-resnet-50 -i x.npy -r caffe-blobs/', 'a converted model against pycaffe dumps')
      .example('$0 parity net.prototxt w.caffemodel -i x.npy -r blobs.npz --junit parity.xml', 'convert in memory; JUnit for CI')
      .example('$0 parity se-resnet-50 -i x.npy -r blobs.npz --html parity.html', 'an HTML report with the per-blob error chart')
      .example('$0 parity se-resnet-50.onnx -i x.npy -r blobs.npz', 'the ONNX model on ONNX Runtime')
      .example('$0 parity net.prototxt w.caffemodel -i x.npy -r blobs.npz --truth', 'float32 noise told from bugs by a float64 forward pass') as unknown as Argv<ParityArgs>,
  handler: async (args) => {
    const t0 = Date.now();
    if (args.model.length > 2) throw new UsageError(`give a model folder or NET.prototxt W.caffemodel, not ${args.model.length} paths`);
    for (const [v, n] of [[args.rtol, 'rtol'], [args.atol, 'atol'], [args['abs-floor'], 'abs-floor'], [args['noise-factor'], 'noise-factor'], [args['noise-ceiling'], 'noise-ceiling']] as const) {
      if (!Number.isFinite(v) || v < 0) throw new UsageError(`--${n} must be a non-negative number`);
    }
    if (args.truth === '' && args.model.length !== 2) {
      throw new UsageError("--truth without a folder computes the float64 values from NET.prototxt W.caffemodel; for a model folder give one made by 'senet reference'");
    }
    const inputs = [...args.model, args.input, args.reference];
    checkOutputFiles([args.junit, args.html], inputs);
    // Progress on stderr; --json keeps stderr to errors, as eval does.
    const progress = createProgress({ quiet: args.quiet || args.json });
    const arr = readNpy(args.input);
    const input = { data: toFloat32(arr), shape: arr.shape.slice() };
    progress.note(`reading the reference ${args.reference}`);
    const reference = readReference(args.reference);
    let truth: Map<string, TruthArray> | undefined;
    if (args.truth !== undefined && args.truth !== '') {
      progress.note(`reading the float64 reference ${args.truth}`);
      truth = readTruth(args.truth).blobs;
    } else if (args.truth === '') {
      const src = loadTruthSource(args.model[0], args.model[1], input);
      let layers: ProgressPhase | undefined;
      try {
        truth = truthInMemory(src.net, src.weights, src.input, (p) => {
          layers ??= progress.phase('float64 reference, layer', p.total);
          layers.update(p.done, `(${p.layer})`);
        });
      } finally {
        progress.stop();
      }
    }
    const onnx = args.model.length === 2 ? args.format === 'onnx' : isOnnxModelPath(args.model[0]);
    if (onnx && args.backend !== undefined) throw new UsageError('--backend chooses a TF.js backend; an ONNX model runs on ONNX Runtime (use --threads)');
    if (!onnx && args.threads !== undefined) throw new UsageError('--threads sets ONNX Runtime threads; this model runs on TF.js');
    // Before the in-memory conversion, which can take a while for a big net.
    checkOnnxThreads(args.threads);
    if (args.model.length === 1 && args.format !== undefined) throw new UsageError('--format is for NET.prototxt W.caffemodel (converted in memory)');
    let engine: string;
    if (onnx) {
      engine = 'onnxruntime';
    } else {
      const info = await initBackend(args.backend as BackendName | undefined);
      engine = info.name;
      progress.note(`backend ${info.name}`);
    }
    let model: ParityModel;
    if (args.model.length === 2) {
      let layers: ProgressPhase | undefined;
      try {
        model = await convertAndOpen(args.model[0], args.model[1], input.shape, {
          ...(onnx ? { format: 'onnx' as const, threads: args.threads } : {}),
          onProgress: (p) => {
            layers ??= progress.phase('converting layer', p.total);
            layers.update(p.done, p.layer ? `(${p.layer})` : undefined);
          },
        });
      } finally {
        progress.stop();
      }
    } else if (onnx) {
      model = await openModelDir(args.model[0], { threads: args.threads });
    } else {
      if (!fs.existsSync(args.model[0]) || !fs.statSync(args.model[0]).isDirectory()) {
        throw new UsageError(`'${args.model[0]}' is not a model folder or .onnx file (or give NET.prototxt W.caffemodel)`);
      }
      model = await openModelDir(args.model[0]);
    }
    if (model.engine !== undefined) {
      engine = model.engine;
      progress.note(`engine ${model.engine.replace('-', ', device ')}${args.threads !== undefined ? `, ${args.threads} threads` : ''}`);
    }
    progress.note(`running the model and comparing ${reference.size} reference blobs`);
    let rep;
    try {
      rep = await runParityAsync(
        model, input, reference,
        { rtol: args.rtol, atol: args.atol, absFloor: args['abs-floor'], noiseFactor: args['noise-factor'], noiseCeiling: args['noise-ceiling'], allowMissing: args['allow-missing'] },
        truth,
      );
    } finally {
      model.dispose();
    }
    if (args.json) process.stdout.write(JSON.stringify(parityJson(rep), null, 2) + '\n');
    else process.stdout.write(formatParityTable(rep));
    if (args.junit !== undefined) {
      const suite = path.basename(args.model[0]).replace(/\.prototxt$/, '');
      writeFileAtomic(args.junit, parityJunit(rep, { suite, seconds: (Date.now() - t0) / 1000 }), { inputs });
    }
    if (args.html !== undefined) {
      writeFileAtomic(args.html, renderParityPage(rep, {
        model: args.model.map((m) => path.basename(path.resolve(m))).join(' + '), input: args.input, inputShape: input.shape, reference: args.reference, backend: engine, seconds: (Date.now() - t0) / 1000,
      }), { inputs });
      progress.note(`wrote ${args.html}`);
    }
    if (!rep.ok && rep.failed === 0 && rep.passed > 0 && rep.onlyInModel.length > 0) {
      const n = rep.onlyInModel.length;
      throw new ParityFailedError(`parity failed: ${n} of ${n + rep.passed} blobs of the model are missing from the reference (first '${rep.onlyInModel[0]}'); --allow-missing checks only the blobs it has`);
    }
    if (!rep.ok) {
      const where = rep.firstDivergence
        ? `first divergence at ${rep.firstDivergence.layers.length > 0 ? `layer '${rep.firstDivergence.layers[rep.firstDivergence.layers.length - 1]}' (blob '${rep.firstDivergence.blob}')` : `blob '${rep.firstDivergence.blob}'`}`
        : 'no blob in common';
      throw new ParityFailedError(`parity failed: ${rep.failed} of ${rep.passed + rep.failed} blobs out of tolerance; ${where}`);
    }
  },
};
