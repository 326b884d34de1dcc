/**
 * `senet reference` (our float64 forward pass as .npy files) and `senet parity --truth` through
 * the compiled CLI, on the real-Caffe SENet-154 fixture (reduced, plain calibrated weights): its
 * float32 rounding exceeds the strict tolerances on some blobs, which the float64 truth reports
 * as float32 noise with the three distances; a planted 1% error in one layer still fails and is
 * named. Needs no Caffe (the fixture holds Caffe's blobs).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readCaffemodel, writeCaffemodel } from '../../src/caffemodel';
import { readNpy } from '../../src/runtime/npy';
import { readNetText } from '../../src/upgrade';
import { ROOT, expectOneLineFailure, senet } from '../helpers/cli';

const CASE = path.join(ROOT, 'test', 'fixtures', 'parity', 'senet_154');
const NET = path.join(CASE, 'net.prototxt');
const W = path.join(CASE, 'weights.caffemodel');
const X = path.join(CASE, 'input.npy');
const REF = path.join(CASE, 'blobs.npz');

interface ParityJson {
  ok: boolean;
  passed: number;
  failed: number;
  noise: number;
  truthRule: { noiseFactor: number; noiseCeiling: number; blobs: number } | null;
  firstDivergence: { blob: string; layers: string[] } | null;
  blobs: { blob: string; verdict: string; rule?: string; maxAbsError: number; bound: number; truth?: { modelMaxAbs: number; referenceMaxAbs: number } }[];
}

let tmp: string;
let truthDir: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'senet-cli-truth-'));
  truthDir = path.join(tmp, 'truth');
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('senet reference', () => {
  it("writes every blob in float64 with metadata saying the values are ours, not Caffe's", () => {
    const r = senet(['reference', NET, W, '-i', X, '-o', truthDir]);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/^senet: float64 reference, layer \d+\/\d+/m);
    expect(r.stderr).toMatch(/wrote .*truth: \d+ blobs \(float64\)/);
    const meta = JSON.parse(fs.readFileSync(path.join(truthDir, 'reference.json'), 'utf8'));
    expect(meta.kind).toBe('senet-caffe float64 reference');
    expect(meta.note).toMatch(/not Caffe's output/);
    expect(meta.numeric).toBe('float64');
    // Every blob of the net (the input too), each once, in net order.
    const caseBlobs = (JSON.parse(fs.readFileSync(path.join(CASE, 'case.json'), 'utf8')).blobs as { name: string; splitOf?: string }[])
      .filter((b) => b.splitOf === undefined).map((b) => b.name);
    expect(new Set(meta.blobs.map((b: { name: string }) => b.name))).toEqual(new Set(caseBlobs));
    const prob = readNpy(path.join(truthDir, 'prob.npy'));
    expect(prob.dtype).toBe('float64');
    expect(Array.from(prob.data as Float64Array).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    const data = readNpy(path.join(truthDir, 'data.npy'));
    expect(Array.from(data.data as Float64Array)).toEqual(Array.from(readNpy(X).data as Float32Array));
    expect(fs.readdirSync(tmp).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('refuses to replace a folder without --force, and writes float32 when asked', () => {
    expectOneLineFailure(senet(['reference', NET, W, '-i', X, '-o', truthDir]), /already exists \(use --force to replace it\)/);
    const f32 = path.join(tmp, 'truth32');
    expect(senet(['reference', NET, W, '-i', X, '-o', f32, '--dtype', 'float32', '-q']).status).toBe(0);
    expect(readNpy(path.join(f32, 'prob.npy')).dtype).toBe('float32');
    expect(JSON.parse(fs.readFileSync(path.join(f32, 'reference.json'), 'utf8')).dtype).toBe('float32');
  });
});

describe('senet parity --truth', () => {
  const base = [NET, W, '-i', X, '-r', REF, '--backend', 'cpu', '--json', '-q'];

  it('SENet-154 with plain calibrated weights: out of tolerance against Caffe, float32 noise against the float64 truth', () => {
    const strict = senet(['parity', ...base]);
    expect(strict.status).toBe(1);
    const s = JSON.parse(strict.stdout) as ParityJson;
    expect(s.failed).toBeGreaterThan(0);

    const r = senet(['parity', ...base, '--truth', truthDir]);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as ParityJson;
    expect(j.ok).toBe(true);
    expect(j.failed).toBe(0);
    expect(j.truthRule).toEqual({ noiseFactor: 2, noiseCeiling: 10, blobs: j.blobs.length });
    // The blobs that failed the strict rule are exactly the ones passed as float32 noise.
    const noise = j.blobs.filter((b) => b.rule === 'float32-noise');
    expect(noise.length).toBe(j.noise);
    expect(noise.map((b) => b.blob).sort()).toEqual(s.blobs.filter((b) => b.verdict === 'fail').map((b) => b.blob).sort());
    for (const b of noise) {
      expect(b.maxAbsError).toBeGreaterThan(b.bound);
      expect(b.truth!.modelMaxAbs).toBeGreaterThan(0);
      expect(b.truth!.referenceMaxAbs).toBeGreaterThan(0);
    }

    // The table shows the three distances and which rule passed each blob.
    const table = senet(['parity', NET, W, '-i', X, '-r', REF, '--backend', 'cpu', '-q', '--truth', truthDir]).stdout;
    expect(table.split('\n')[0]).toMatch(/max abs err +max rel err +tolerance +model-f64 rel +caffe-f64 rel +verdict/);
    expect(table).toMatch(/ ok \(f32 noise\)$/m);
    expect(table).toMatch(new RegExp(`^PASS: \\d+ passed \\(${j.noise} as float32 noise\\), 0 failed`, 'm'));
  });

  it('a planted 1% error in one layer still fails, named as the first divergence', () => {
    const victim = 'conv3_2_1x1_reduce';
    const model = readCaffemodel(fs.readFileSync(W));
    const layer = model.layers.find((l) => l.name === victim)!;
    layer.blobs[0].data = layer.blobs[0].data.map((v) => v * 1.01);
    const planted = path.join(tmp, 'planted.caffemodel');
    writeCaffemodel(planted, readNetText(NET), model.layers.filter((l) => l.blobs.length > 0));
    const r = senet(['parity', NET, planted, '-i', X, '-r', REF, '--backend', 'cpu', '--json', '-q', '--truth', truthDir]);
    expect(r.status).toBe(1);
    const j = JSON.parse(r.stdout) as ParityJson;
    expect(j.firstDivergence?.blob).toBe(victim);
    expect(j.firstDivergence?.layers[0]).toBe(victim);
    const first = j.blobs.find((b) => b.blob === victim)!;
    expect(first.verdict).toBe('fail');
    expect(first.truth!.modelMaxAbs).toBeGreaterThan(20 * first.truth!.referenceMaxAbs);
    const table = senet(['parity', NET, planted, '-i', X, '-r', REF, '--backend', 'cpu', '-q', '--truth', truthDir]);
    expect(table.stdout).toMatch(new RegExp(`^first divergence: layer '[^']+' \\(blob '${victim}'`, 'm'));
    expect(table.stdout).toMatch(/vs the float64 reference: .*the model is off, not Caffe/);
    expect(table.stderr).toMatch(new RegExp(`first divergence at layer '[^']+' \\(blob '${victim}'\\)`));
  });

  it('--truth without a folder computes it in memory (NET W form); a model folder needs one', () => {
    const small = path.join(ROOT, 'test', 'fixtures', 'parity', 'scale_bias');
    const r = senet(['parity', path.join(small, 'net.prototxt'), path.join(small, 'weights.caffemodel'), '-i', path.join(small, 'input.npy'), '-r', path.join(small, 'blobs.npz'), '--backend', 'cpu', '--json', '--truth']);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as ParityJson;
    expect(j.truthRule?.blobs).toBe(j.blobs.filter((b) => b.verdict !== 'skipped').length);
    expect(j.noise).toBe(0);
    const usage = senet(['parity', tmp, '-i', X, '-r', REF, '--truth']);
    expect(usage.status).toBe(2); // a usage error
    expect(usage.stderr).toMatch(/--truth without a folder .* 'senet reference'/);
    expect(usage.stderr).not.toMatch(/\n\s+at /);
  });
});
