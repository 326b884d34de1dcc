/** `senet bench DIR`: inference time and throughput of a converted model on random input. */
import * as os from 'os';
import type { Argv, CommandModule } from 'yargs';
import { benchModel, isOnnxModelPath, BACKEND_ORDER, type BackendName, type BenchResult } from '../../runtime';
import { commonOptions, defaultWorkers, positiveInteger, workersOption } from '../options';

export interface BenchArgs {
  model: string;
  batch?: number;
  runs: number;
  warmup: number;
  workers?: number;
  backend?: string;
  threads?: number;
  json?: boolean;
  quiet?: boolean;
}

export function formatBench(r: BenchResult): string {
  const f = (x: number): string => x.toFixed(x < 10 ? 2 : 1);
  const who = r.engine === 'onnxruntime'
    ? `engine onnxruntime, device ${r.backend.replace('onnxruntime-', '')}, ${r.threads > 0 ? `${r.threads} thread${r.threads > 1 ? 's' : ''}` : 'default threads'}`
    : `backend ${r.backend}, ${r.workers} worker${r.workers > 1 ? 's' : ''}`;
  return (
    `${who}, batch ${r.batch}, input [${r.inputShape.join(',')}], ` +
    `${r.runs} timed run${r.runs > 1 ? 's' : ''}${r.workers > 1 ? ' per worker' : ''} after ${r.warmup} warm-up, load average ${r.loadavg.toFixed(2)}\n` +
    `ms per image: median ${f(r.ms_per_image)} (min ${f(r.ms_per_image_min)}, max ${f(r.ms_per_image_max)})\n` +
    `images/s: ${r.images_per_s.toFixed(2)} (cores busy: ${r.cpu_cores.toFixed(2)} of ${r.engine === 'onnxruntime' ? (r.threads > 0 ? r.threads : os.availableParallelism()) : r.workers}; cpu per image ${f(r.cpu_ms_per_image)} ms)\n`
  );
}

export async function runBench(a: BenchArgs, out: (s: string) => void = (s) => process.stdout.write(s)): Promise<BenchResult> {
  const r = await benchModel({
    modelDir: a.model, batch: a.batch, runs: a.runs, warmup: a.warmup, backend: a.backend as BackendName | undefined, threads: a.threads,
    // One worker per core for TF.js, as eval; an ONNX model has one session and --threads instead.
    workers: positiveInteger(a.workers, 'workers') ?? (isOnnxModelPath(a.model) ? undefined : defaultWorkers()),
  });
  if (a.json) {
    const { inputShape, ...rest } = r;
    out(JSON.stringify({ ...rest, input_shape: inputShape }, null, 2) + '\n');
  } else {
    out(formatBench(r));
  }
  return r;
}

export const benchCommand: CommandModule<object, BenchArgs> = {
  command: 'bench <model>',
  describe: 'time a converted model on random input: ms per image and images/s (with --workers, all workers busy)',
  builder: (y: Argv) =>
    workersOption(
      commonOptions(y, 'ms_per_image (median), images_per_s, backend, workers, batch, runs, ...')
        .positional('model', { type: 'string', demandOption: true, describe: 'converted model: a TF.js GraphModel folder or an .onnx file' })
        .option('batch', { type: 'number', describe: "images per run (default: the model's batch, else 1)" })
        .option('runs', { type: 'number', default: 10, describe: 'timed runs (per worker)' })
        .option('warmup', { type: 'number', default: 2, describe: 'untimed runs first (per worker)' }),
    )
      .option('backend', { type: 'string', choices: [...BACKEND_ORDER], describe: 'TF.js backend (default: the best available)' })
      .option('threads', { type: 'number', describe: 'ONNX Runtime intra-op threads (.onnx models; default: one per core)' })
      .example('$0 bench se-resnet-50 --backend wasm --workers 1', 'one thread')
      .example('$0 bench se-resnet-50 --workers 2 --json', 'throughput with two workers, as JSON')
      .example('$0 bench se-resnet-50.onnx --threads 2 --batch 8', 'ONNX Runtime, two threads') as unknown as Argv<BenchArgs>,
  handler: async (a) => {
    await runBench(a);
  },
};
