/**
 * Checks the real-Caffe parity fixtures themselves: weights reproduce their sha256 (regenerated
 * where not committed), every blob is present with the shape our shape inference gives, and our
 * plain reference forward pass agrees with Caffe on every blob within the parity tolerances.
 */
import { referenceForward } from '../../src/reference';
import { countOf, inferShapes } from '../../src/layers';
import { readNpz } from '../../src/runtime/npy';
import * as path from 'path';
import { CASE_SHOWS, PARITY_CASES, TRUTH_CASES, compareAll, loadCase, missingShows, regenerateWeights, sha256, truthOf } from './harness';

describe('parity fixtures', () => {
  it('has the per-layer cases and the four reduced official nets, each saying what it shows', () => {
    expect(PARITY_CASES).toEqual(Object.keys(CASE_SHOWS).sort());
  });

  describe.each(PARITY_CASES)('%s', (name) => {
    it('weights match the recorded sha256, and unmodified ones are what the generator makes', () => {
      const c = loadCase(name); // throws on a sha256 mismatch
      expect(sha256(c.weightsBytes)).toBe(c.manifest.weights.sha256);
      expect(c.weightsBytes.length).toBe(c.manifest.weights.bytes);
      // Batch-calibrated weights (the reduced nets) need the calibration batch: the sha256 is the check.
      if (c.manifest.weights.file !== null && !c.manifest.weights.postProcessed && c.manifest.weights.calibrate !== 'batch') {
        const again = regenerateWeights(c.net, c.manifest, c.input.data);
        expect(sha256(again.bytes)).toBe(c.manifest.weights.sha256);
      }
    });

    it('has the layers it is for', () => {
      expect(missingShows(name, loadCase(name).net)).toEqual([]);
    });

    it('has every blob, with the shapes shape inference gives', () => {
      const c = loadCase(name);
      expect(c.input.shape).toEqual(c.manifest.input.shape);
      const shapes = inferShapes(c.net);
      const npz = readNpz(path.join(c.dir, 'blobs.npz'));
      const names = new Set(c.manifest.blobs.map((b) => b.name));
      for (const blob of shapes.blobs.keys()) expect(names.has(blob) ? blob : `missing ${blob}`).toBe(blob);
      for (const b of c.manifest.blobs) {
        const want = b.splitOf === undefined ? shapes.blobs.get(b.name) : shapes.blobs.get(b.splitOf);
        expect([b.name, b.shape]).toEqual([b.name, want]);
        const ref = c.reference.get(b.name);
        if (b.splitOf !== undefined && b.splitEqualsSource) expect(npz[b.key]).toBeUndefined();
        else expect(npz[b.key]?.shape).toEqual(b.shape);
        expect(ref?.data.length).toBe(countOf(b.shape));
        expect(ref?.data.every(Number.isFinite)).toBe(true);
      }
      // Every layer with stored blobs has them, with the element counts the handlers give.
      const byName = new Map(c.weights.map((w) => [w.name, w]));
      for (const l of shapes.layers) {
        if (l.blobShapes.length === 0) continue;
        const w = byName.get(l.name);
        expect([l.name, w?.blobs.map((b) => b.data.length)]).toEqual([l.name, l.blobShapes.map((s) => countOf(s))]);
      }
    });

    // SENet-154 (TRUTH_CASES): out-of-tolerance blobs must be float32 noise against the float64 truth.
    it('our reference forward pass matches Caffe on every blob, with the strict tolerances (or as float32 noise)', () => {
      const c = loadCase(name);
      const mine = referenceForward(c.net, {
        inputs: { [c.input.blob]: { shape: c.input.shape, data: c.input.data } },
        weights: new Map(c.weights.map((w) => [w.name, w.blobs])),
      });
      const report = compareAll(
        c,
        new Map([...mine].map(([k, t]) => [k, t.data])),
        {},
        TRUTH_CASES.has(name) ? truthOf(c) : undefined,
      );
      expect(report.missing).toEqual([]);
      // Every layer top Caffe dumped was compared (its split copies are not layer tops).
      expect(report.compared.map((r) => r.blob).sort()).toEqual(c.manifest.blobs.filter((b) => b.splitOf === undefined).map((b) => b.name).sort());
      expect(report.failures).toEqual([]);
    });
  });

  it('the reduced official nets have sane activations and spread-out probabilities', () => {
    for (const name of ['se_resnet_50', 'se_resnext_50', 'se_bn_inception', 'senet_154']) {
      const c = loadCase(name);
      let maxAbs = 0;
      for (const t of c.reference.values()) for (const v of t.data) maxAbs = Math.max(maxAbs, Math.abs(v));
      expect(maxAbs).toBeLessThan(50);
      expect(c.finalProbs).toEqual(['prob']);
      const p = c.reference.get('prob')!.data;
      expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(Math.max(...p)).toBeLessThan(0.9);
    }
  });
});
