/**
 * @jest-environment ./test/helpers/onnx-environment.js
 */
/**
 * The ONNX target against real Caffe: every parity fixture case (test/fixtures/parity) is converted
 * with convertNetToOnnx, written as one .onnx file, loaded into ONNX Runtime with every Caffe blob
 * added as a graph output, and run; every blob of Caffe's dump (split copies aside) is fetched by
 * its Caffe name and compared with the same rules as the TF.js target (converted.test.ts), SENet-154
 * with the float64 truth beside Caffe (harness TRUTH_CASES, the float32-noise rule).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readCaffemodel } from '../../src/caffemodel';
import { convertNetToOnnx, onnxMetadataProps } from '../../src/convert';
import { writeOnnxModel } from '../../src/onnx';
import { loadOnnxModel } from '../../src/runtime';
import type { BlobResult } from '../../src/verify/compare';
import { CASE_SHOWS, PARITY_CASES, TRUTH_CASES, compareAll, loadCase, truthOf } from './harness';

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'parity-onnx-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('ONNX graphs on ONNX Runtime vs real Caffe', () => {
  it('covers every fixture case, each saying what it shows', () => {
    expect(PARITY_CASES).toEqual(Object.keys(CASE_SHOWS).sort());
  });
  describe.each(PARITY_CASES)('%s', (name) => {
    it('every blob within tolerance', async () => {
      const c = loadCase(name);
      const onnx = convertNetToOnnx({ net: c.net, weights: readCaffemodel(c.weightsBytes), phase: 'TEST' });
      const file = path.join(tmp, `${name}.onnx`);
      const shapes = new Map<string, number[]>();
      for (const l of onnx.layers) l.tops.forEach((t, k) => shapes.set(t, l.outputShapes[k]));
      writeOnnxModel(file, onnx.graph, { metadata: onnxMetadataProps(onnx.metadata, shapes) });
      // Every blob Caffe dumped; its *_split_N copies are not layer tops and are skipped.
      const wanted = c.manifest.blobs.filter((b) => b.splitOf === undefined && c.reference.has(b.name)).map((b) => b.name);
      const m = await loadOnnxModel(file, { threads: 1, fetch: wanted });
      let got;
      try {
        expect(m.device).toBe('cpu');
        got = await m.run({ data: c.input.data, shape: c.input.shape }, wanted);
      } finally {
        await m.dispose();
      }
      const r = compareAll(c, new Map(Object.entries(got).map(([k, v]) => [k, v.data])), {}, TRUTH_CASES.has(name) ? truthOf(c) : undefined);
      const worst = (kinds: string[], key: (x: BlobResult) => number): string => {
        const list = r.compared.filter((x) => kinds.includes(x.kind)).sort((a, b) => key(b) - key(a));
        return list.length === 0 ? '-' : `${key(list[0]).toExponential(2)} (${list[0].blob})`;
      };
      // eslint-disable-next-line no-console
      console.log(
        `[parity onnxruntime] ${name}: ${r.compared.length} blobs; worst relative ${worst(['values', 'logits'], (x) => x.maxRelError)}; ` +
          `worst error/bound ${worst(['values', 'logits', 'probabilities'], (x) => x.maxAbsError / x.bound)}; ` +
          `worst probability ${worst(['probabilities'], (x) => x.maxAbsError)}; failing ${r.failures.length}` +
          (r.report.truthRule ? `; float32 noise ${r.report.noise}` : ''),
      );
      expect(r.missing).toEqual([]);
      expect(r.compared.length).toBe(wanted.length);
      expect(r.failures).toEqual([]);
    });
  });
});
