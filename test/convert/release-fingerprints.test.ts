/**
 * The table of official structures (src/convert/release-fingerprints.generated.ts) is what the
 * generators give now (regenerate: npm run gen:fingerprints), and covers what the lookup assumes.
 */
import * as fs from 'fs';
import * as path from 'path';
import { findArch, resolveOptions, senetArchs } from '../../src/archs';
import { officialArchitecture, prepareNet, releasePolicyFor } from '../../src/convert';
import { OFFICIAL_FINGERPRINTS } from '../../src/convert/release-fingerprints.generated';
import { deployFingerprint, RELEASE_FINGERPRINTS_FILE, releaseFingerprintsSource } from '../../src/convert/release-fingerprints';
import type { NetParameter } from '../../src/schema';

const ROOT = path.resolve(__dirname, '..', '..');
const testLayers = (net: NetParameter, inputShape?: number[]) => prepareNet(net, inputShape, 'tfjs').params;

describe('release-fingerprints.generated.ts', () => {
  it('is what the generators give now (npm run gen:fingerprints regenerates it)', () => {
    const onDisk = fs.readFileSync(path.join(ROOT, RELEASE_FINGERPRINTS_FILE), 'utf8');
    if (onDisk !== releaseFingerprintsSource()) throw new Error(`${RELEASE_FINGERPRINTS_FILE} is stale: run \`npm run gen:fingerprints\` and commit the result`);
  });

  it('has the seven official architectures in both flavours', () => {
    expect(OFFICIAL_FINGERPRINTS.map((f) => `${f.id}/${f.flavor}`)).toEqual(senetArchs.flatMap((e) => [`${e.id}/official`, `${e.id}/bvlc`]));
  });

  it("holds for every input size but the release's: the resized fingerprint is the generators' at any other size", () => {
    const sizes = [32, 225, 299, 320];
    for (const f of OFFICIAL_FINGERPRINTS) {
      const entry = findArch(f.id);
      for (const size of sizes) expect([f.id, f.flavor, size, deployFingerprint(entry, f.flavor, size)]).toEqual([f.id, f.flavor, size, f.resized]);
    }
  });

  it("a resized structure at the release's size, or on a non-square input, is not an official net", () => {
    const entry = findArch('se-resnet-50');
    /** The net generated for 320 x 320 (global final pooling), its Input made h x w. */
    const resizedNet = (h: number, w: number): NetParameter => {
      const net = entry.build(resolveOptions(entry, { phase: 'deploy', inputSize: 320 })).build();
      const input = net.layer!.find((l) => l.type === 'Input')!;
      input.input_param = { shape: [{ dim: [1, 3, h, w] }] };
      return net;
    };
    expect(officialArchitecture(testLayers(resizedNet(320, 320)))).toBe('se-resnet-50');
    expect(officialArchitecture(testLayers(resizedNet(256, 256)))).toBe('se-resnet-50');
    expect(officialArchitecture(testLayers(resizedNet(224, 224)))).toBeUndefined();
    expect(officialArchitecture(testLayers(resizedNet(320, 256)))).toBeUndefined();
  });

  it('train/test nets are not recognised (their weights are a training run\'s; see release.ts)', () => {
    const entry = findArch('se-resnet-50');
    const train = { trainSource: 'train_lmdb', testSource: 'val_lmdb', backend: 'lmdb' as const, testBatch: 10, mirror: true, crop: 224 };
    for (const flavor of ['official', 'bvlc'] as const) {
      const net = entry.build(resolveOptions(entry, { flavor, phase: 'train', train })).build();
      const layers = testLayers(net, [1, 3, 224, 224]);
      expect([flavor, officialArchitecture(layers), releasePolicyFor(layers, undefined)]).toEqual([flavor, undefined, undefined]);
    }
  });
});
