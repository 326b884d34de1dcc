/**
 * summary and show read a net with a layer type senet does not know: that layer is marked unknown,
 * shapes are unknown from there on (only downstream of it), and both commands say so. Commands that
 * compute with the net (convert) still refuse it.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { inferShapes } from '../../src/layers';
import { parseNetText } from '../../src/upgrade';
import { senet } from '../helpers/cli';

const NET = `name: "odd"
layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 3 dim: 32 dim: 32 } } }
layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1" convolution_param { num_output: 8 kernel_size: 3 } }
layer { name: "warp" type: "SpatialTransformer" bottom: "conv1" top: "warp" }
layer { name: "conv2" type: "Convolution" bottom: "warp" top: "conv2" convolution_param { num_output: 8 kernel_size: 3 } }
layer { name: "side" type: "Pooling" bottom: "conv1" top: "side" pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
layer { name: "prob" type: "Softmax" bottom: "conv2" top: "prob" }
`;

let tmp: string;
let file: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'senet-tolerant-'));
  file = path.join(tmp, 'odd.prototxt');
  fs.writeFileSync(file, NET);
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('tolerant reading', () => {
  it('inferShapes: strict refuses the unknown type; tolerant marks it and what it feeds, nothing else', () => {
    const net = parseNetText(NET, 'odd.prototxt');
    expect(() => inferShapes(net)).toThrow(/SpatialTransformer/);
    const s = inferShapes(net, { tolerant: true });
    expect(s.layers.map((l) => [l.name, l.unknown ?? 'known'])).toEqual([
      ['data', 'known'], ['conv1', 'known'], ['warp', 'type'], ['conv2', 'shape'], ['side', 'known'], ['prob', 'shape'],
    ]);
    expect(s.blobs.get('side')).toEqual([1, 8, 15, 15]);
    expect(s.totals.params).toBe(8 * 3 * 3 * 3 + 8);
    expect(s.unknown).toEqual({ types: ['SpatialTransformer'], layers: ['warp'], shapeless: 2 });
    expect(s.outputs.sort()).toEqual(['prob', 'side']);
  });

  it('summary prints the table with the unknown rows marked, and says so', () => {
    const r = senet(['summary', file]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^3\s+warp\s+SpatialTransformer \(unknown\)\s+\?\s+\?\s+\?$/m);
    expect(r.stdout).toMatch(/^4\s+conv2\s+Convolution\s+\?\s+\?\s+\?$/m);
    expect(r.stdout).toMatch(/^5\s+side\s+Pooling\s+1x8x15x15\s+-\s+-$/m);
    expect(r.stdout).toMatch(/note: 1 layer of unknown type \(SpatialTransformer\) marked unknown; shapes, params and MACs unknown from there on \(2 more layers\)/);
    const j = JSON.parse(senet(['summary', file, '--json']).stdout);
    expect(j.unknown).toEqual({ types: ['SpatialTransformer'], layers: ['warp'], shapeless: 2 });
    expect(j.layers[2]).toMatchObject({ name: 'warp', unknown: 'type', params: 0 });
  });

  it('show draws it (the unknown type labelled) and says so on stderr', () => {
    const out = path.join(tmp, 'odd.html');
    const r = senet(['show', file, '-o', out]);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/senet: note: 1 layer of unknown type \(SpatialTransformer\)/);
    const html = fs.readFileSync(out, 'utf8');
    expect(html).toContain('SpatialTransformer (unknown)');
    expect(senet(['show', file, '-o', out, '-q']).stderr).toBe('');
  });

  it('commands that compute with the net (init-weights, as convert) still refuse it, naming layer and type', () => {
    const r = senet(['init-weights', file, '-o', path.join(tmp, 'w.caffemodel')]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/warp.*SpatialTransformer|SpatialTransformer.*warp/);
    expect(fs.existsSync(path.join(tmp, 'w.caffemodel'))).toBe(false);
  });
});
