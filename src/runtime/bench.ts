/**
 * Inference timing for a converted model (folder or .onnx file): a random NCHW input of the
 * model's input shape, warm-up runs, then timed runs. With one worker the model runs in this
 * thread; with more, a worker pool is kept full (exactly `workers` runs in flight) so throughput
 * is measured with every worker busy. ONNX models run on ONNX Runtime in one session with
 * `threads` intra-op threads (its parallelism is inside each run).
 */
import * as os from 'os';
import { UsageError } from '../errors';
import { BackendName, initBackend } from './backend';
import { loadModel, LoadedModel } from './load';
import { checkOnnxThreads, isOnnxModelPath, loadOnnxModel } from './onnx';
import { createPool } from './pool';
import { HostArray, runModel } from './run';

export interface BenchOptions {
  modelDir: string;
  /** Images per run; default the model's batch when fixed, else 1. */
  batch?: number;
  /** Timed runs (per worker when workers > 1). Default 10. */
  runs?: number;
  /** Untimed runs first (per worker). Default 2. */
  warmup?: number;
  /** Default 1 (this thread). */
  workers?: number;
  backend?: BackendName;
  /** ONNX Runtime intra-op threads (.onnx models). */
  threads?: number;
  /** Seed of the random input. */
  seed?: number;
  /** Called after each timed run with the number done so far. */
  onRun?: (done: number, total: number) => void;
}

export interface BenchResult {
  /** Backend of every worker (this thread's when workers = 1); `onnxruntime-cpu` (or -cuda) for ONNX. */
  backend: BackendName | `onnxruntime-${'cpu' | 'cuda'}`;
  /** The engine that ran: TF.js or ONNX Runtime. */
  engine: 'tfjs' | 'onnxruntime';
  /** ONNX Runtime's intra-op threads (0: its default); 0 for TF.js. */
  threads: number;
  workers: number;
  batch: number;
  /** Timed runs per worker, as asked. */
  runs: number;
  /** Timed runs over all workers. */
  total_runs: number;
  warmup: number;
  /** NCHW shape of each run's input. */
  inputShape: number[];
  /** Per-run wall time divided by the batch: median, min, max (ms). */
  ms_per_image: number;
  ms_per_image_min: number;
  ms_per_image_max: number;
  /** Images finished per second over the timed phase (all workers busy). */
  images_per_s: number;
  /** Wall time of the timed phase (ms). */
  wall_ms: number;
  /**
   * CPU time of this process (all threads, workers included) over the timed phase divided by its
   * wall time: the cores actually obtained. Below `workers` on a busy machine, other processes had
   * the rest, and images/s is limited by them, not by the model.
   */
  cpu_cores: number;
  /**
   * CPU time per image over the timed phase (ms, all threads). Unlike wall time it does not grow
   * when other processes take the cores; equal values at 1 and N workers mean the pool adds no
   * work per image, so on otherwise idle cores images/s would scale with N.
   */
  cpu_ms_per_image: number;
  /** 1-minute load average when the timed phase started (0 where the OS has none). */
  loadavg: number;
}

function positiveInt(name: string, v: number, min: number): number {
  if (!Number.isInteger(v) || v < min) throw new UsageError(`--${name} must be an integer >= ${min}, got ${v}`);
  return v;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Uniform [-1, 1) values from a 32-bit LCG: reproducible, and the values do not affect timing. */
export function randomInput(shape: readonly number[], seed = 1): HostArray {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = s / 2 ** 31 - 1;
  }
  return { data, shape: [...shape] };
}

/** NCHW input shape with the batch set; the model's own shape comes from metadata (else the graph). */
export function benchInputShape(loaded: LoadedModel | { dir: string; inputShape: readonly number[] | undefined }, batch: number | undefined): number[] {
  const shape = 'model' in loaded ? loaded.metadata?.caffeInputShape ?? loaded.model.inputs[0]?.shape : loaded.inputShape;
  if (shape === undefined || shape.length === 0) throw new UsageError(`${loaded.dir}: the model's input shape is unknown`);
  const rest = shape.slice(1);
  if (rest.some((d) => d < 0)) {
    throw new UsageError(`${loaded.dir}: the model's input shape [${shape.map((d) => (d < 0 ? '?' : d))}] has free dimensions besides the batch`);
  }
  const n = batch ?? (shape[0] > 0 ? shape[0] : 1);
  if (shape[0] > 0 && n !== shape[0]) throw new UsageError(`${loaded.dir}: the model has a fixed batch of ${shape[0]}, not ${n}`);
  const perImage = rest.reduce((a, b) => a * b, 1) * 4;
  if (n * perImage > MAX_BENCH_INPUT_BYTES) {
    throw new UsageError(`--batch ${n}: an input of ${((n * perImage) / 2 ** 30).toFixed(1)} GiB, more than the ${MAX_BENCH_INPUT_BYTES / 2 ** 30} GiB senet bench makes; use --batch ${Math.max(1, Math.floor(MAX_BENCH_INPUT_BYTES / perImage))} or less`);
  }
  return [n, ...rest];
}

/** The largest random input bench makes (1 GiB: SENet-154 at 224, batch 1783); larger ones only run out of memory. */
const MAX_BENCH_INPUT_BYTES = 2 ** 30;

const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

type BenchBase = Omit<BenchResult, 'ms_per_image' | 'ms_per_image_min' | 'ms_per_image_max' | 'images_per_s' | 'wall_ms' | 'cpu_cores' | 'cpu_ms_per_image'>;

function summarise(times: number[], batch: number, wall: number, cpu: NodeJS.CpuUsage, base: BenchBase): BenchResult {
  const per = times.map((t) => t / batch);
  return {
    ...base,
    ms_per_image: median(per),
    ms_per_image_min: Math.min(...per),
    ms_per_image_max: Math.max(...per),
    images_per_s: (times.length * batch * 1000) / wall,
    wall_ms: wall,
    cpu_cores: (cpu.user + cpu.system) / 1000 / wall,
    cpu_ms_per_image: (cpu.user + cpu.system) / 1000 / (times.length * batch),
  };
}

/** `warmup` untimed runs, then `runs` timed ones, one after another in this thread. */
async function timeRuns(
  runOnce: () => unknown,
  warmup: number,
  runs: number,
  onRun: ((done: number, total: number) => void) | undefined,
): Promise<{ times: number[]; wall: number; cpu: NodeJS.CpuUsage; loadavg: number }> {
  for (let i = 0; i < warmup; i++) await runOnce();
  const loadavg = os.loadavg()[0];
  const times: number[] = [];
  const c0 = process.cpuUsage();
  const t0 = nowMs();
  for (let i = 0; i < runs; i++) {
    const t = nowMs();
    await runOnce();
    times.push(nowMs() - t);
    onRun?.(i + 1, runs);
  }
  return { times, wall: nowMs() - t0, cpu: process.cpuUsage(c0), loadavg };
}

export async function benchModel(opts: BenchOptions): Promise<BenchResult> {
  const runs = positiveInt('runs', opts.runs ?? 10, 1);
  const warmup = positiveInt('warmup', opts.warmup ?? 2, 0);
  const workers = positiveInt('workers', opts.workers ?? 1, 1);
  if (opts.batch !== undefined) positiveInt('batch', opts.batch, 1);
  if (isOnnxModelPath(opts.modelDir)) return benchOnnx(opts, runs, warmup, workers);
  if (opts.threads !== undefined) throw new UsageError(`--threads sets ONNX Runtime's threads; '${opts.modelDir}' is a TF.js model (use --workers)`);
  const info = await initBackend(opts.backend);
  const loaded = await loadModel(opts.modelDir);
  const inputShape = benchInputShape(loaded, opts.batch);
  const batch = inputShape[0];
  const input = randomInput(inputShape, opts.seed ?? 1);

  if (workers === 1) {
    try {
      const t = await timeRuns(() => runModel(loaded, input), warmup, runs, opts.onRun);
      return summarise(t.times, batch, t.wall, t.cpu, { backend: info.name, engine: 'tfjs', threads: 0, workers, batch, runs, total_runs: runs, warmup, inputShape, loadavg: t.loadavg });
    } finally {
      loaded.model.dispose();
    }
  }

  loaded.model.dispose(); // the workers load their own copies
  const pool = await createPool({ modelDir: opts.modelDir, workers, backend: opts.backend ?? info.name });
  try {
    // Warm-up: `warmup` rounds of one run per worker, all in flight together so each worker gets one.
    for (let i = 0; i < warmup; i++) await Promise.all(Array.from({ length: workers }, () => pool.run(input)));
    const total = runs * workers;
    const times: number[] = [];
    let started = 0;
    const loadavg = os.loadavg()[0];
    const c0 = process.cpuUsage();
    const t0 = nowMs();
    // Each lane submits its next run when its previous one finishes: exactly `workers` in flight.
    const lane = async (): Promise<void> => {
      while (started < total) {
        started++;
        const t = nowMs();
        await pool.run(input);
        times.push(nowMs() - t);
        opts.onRun?.(times.length, total);
      }
    };
    await Promise.all(Array.from({ length: workers }, lane));
    const wall = nowMs() - t0;
    const cpu = process.cpuUsage(c0);
    const backends = [...new Set(pool.backends)];
    return summarise(times, batch, wall, cpu, { backend: backends[0], engine: 'tfjs', threads: 0, workers, batch, runs, total_runs: total, warmup, inputShape, loadavg });
  } finally {
    await pool.close();
  }
}

/** The ONNX Runtime timing: one session, runs one after another (its threads work inside each run). */
async function benchOnnx(opts: BenchOptions, runs: number, warmup: number, workers: number): Promise<BenchResult> {
  if (workers !== 1) throw new UsageError('--workers is for TF.js models; an ONNX model uses --threads (ONNX Runtime intra-op threads)');
  if (opts.backend !== undefined) throw new UsageError(`--backend chooses a TF.js backend; '${opts.modelDir}' is an ONNX model`);
  checkOnnxThreads(opts.threads);
  const m = await loadOnnxModel(opts.modelDir, { threads: opts.threads });
  try {
    const inputShape = benchInputShape({ dir: opts.modelDir, inputShape: m.inputShape }, opts.batch);
    const batch = inputShape[0];
    const input = randomInput(inputShape, opts.seed ?? 1);
    const t = await timeRuns(() => m.run(input), warmup, runs, opts.onRun);
    const base: BenchBase = {
      backend: `onnxruntime-${m.device}`, engine: 'onnxruntime', threads: m.threads, workers: 1, batch, runs, total_runs: runs, warmup, inputShape, loadavg: t.loadavg,
    };
    return summarise(t.times, batch, t.wall, t.cpu, base);
  } finally {
    await m.dispose();
  }
}
