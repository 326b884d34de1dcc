/**
 * `senet bench` through the compiled CLI (built by test/global-setup.ts) on a tiny converted
 * model: text and JSON output, worker pool, and usage errors as one line.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { NetBuilder } from '../../src/builder';
import { randomWeights } from '../../src/reference';
import { convertNet } from '../../src/convert';
import { writeGraphModel } from '../../src/tfgraph';
import { senet } from '../helpers/cli';

let tmp: string;
let modelDir: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'senet-cli-bench-'));
  modelDir = path.join(tmp, 'tiny');
  const n = new NetBuilder('tiny');
  const data = n.input('data', [1, 3, 16, 16]);
  let x = n.conv('conv1', data, { num_output: 8, bias_term: false, pad: 1, kernel_size: 3, stride: 2 });
  x = n.batchNorm('conv1/bn', x, { use_global_stats: true });
  x = n.scale('conv1/scale', x, { bias_term: true });
  x = n.relu('conv1/relu', x);
  x = n.pool('pool1', x, { pool: 'MAX', kernel_size: 3, stride: 2 });
  x = n.conv('conv2', x, { num_output: 8, pad: 1, kernel_size: 3, group: 2 });
  x = n.pool('gap', x, { pool: 'AVE', global_pooling: true });
  n.softmax('prob', n.fc('fc', x, { num_output: 5 }));
  const net = n.build();
  const layers = randomWeights(net, { seed: 3 });
  const c = convertNet({ net, weights: { format: 'V2', net: { name: net.name }, layers } });
  writeGraphModel(modelDir, c.graph, { metadata: c.metadata });
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('prints ms per image, images/s, the backend and the load average', () => {
  const r = senet(['bench', modelDir, '--runs', '3', '--warmup', '1', '--backend', 'wasm', '--workers', '1']);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^backend wasm, 1 worker, batch 1, input \[1,3,16,16\], 3 timed runs after 1 warm-up, load average \d+\.\d\d\n/);
  expect(r.stdout).toMatch(/\nms per image: median \d+\.\d+ \(min \d+\.\d+, max \d+\.\d+\)\nimages\/s: \d+\.\d\d \(cores busy: \d+\.\d\d of 1; cpu per image \d+\.\d+ ms\)\n$/);
});

test('--json has the fields, consistent with each other; --batch sets the input batch', () => {
  const r = senet(['bench', modelDir, '--runs', '4', '--warmup', '1', '--batch', '3', '--backend', 'wasm', '--workers', '1', '--json']);
  expect(r.status).toBe(0);
  const j = JSON.parse(r.stdout);
  expect(j).toMatchObject({ backend: 'wasm', workers: 1, batch: 3, runs: 4, total_runs: 4, warmup: 1, input_shape: [3, 3, 16, 16] });
  for (const k of ['ms_per_image', 'ms_per_image_min', 'ms_per_image_max', 'images_per_s', 'wall_ms', 'loadavg', 'cpu_cores', 'cpu_ms_per_image']) {
    expect(typeof j[k]).toBe('number');
  }
  expect(j.ms_per_image).toBeGreaterThan(0);
  expect(j.ms_per_image_min).toBeLessThanOrEqual(j.ms_per_image);
  expect(j.ms_per_image).toBeLessThanOrEqual(j.ms_per_image_max);
  // One thread: the timed phase is the runs back to back, so images/s and the per-image times agree.
  const meanMs = j.wall_ms / (j.total_runs * j.batch);
  expect(j.images_per_s).toBeCloseTo(1000 / meanMs, 6);
  expect(meanMs).toBeGreaterThanOrEqual(j.ms_per_image_min * 0.999);
});

test('--workers 2 runs on a pool with both workers busy', () => {
  const r = senet(['bench', modelDir, '--runs', '3', '--warmup', '1', '--workers', '2', '--backend', 'wasm', '--json']);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const j = JSON.parse(r.stdout);
  expect(j).toMatchObject({ backend: 'wasm', workers: 2, batch: 1, runs: 3, total_runs: 6 });
  expect(j.images_per_s).toBeGreaterThan(0);
  // 6 images over the wall time of the timed phase.
  expect(j.images_per_s).toBeCloseTo((6 * 1000) / j.wall_ms, 6);
});

test('bad counts and a missing folder are one-line errors', () => {
  const bad = senet(['bench', modelDir, '--runs', '0']);
  expect(bad.status).toBe(2);
  expect(bad.stderr.trim()).toBe('senet: --runs must be an integer >= 1, got 0');
  const missing = senet(['bench', path.join(tmp, 'nope')]);
  expect(missing.status).toBe(1);
  expect(missing.stderr.trim().split('\n')).toHaveLength(1);
  expect(missing.stderr).toMatch(/no model.json here/);
});
