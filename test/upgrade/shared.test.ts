/**
 * Upgrade parity on the real-world nets in ../shared, against Caffe outputs recorded in
 * test/fixtures/upgrade (copied where the licence allows, sha256 + length otherwise).
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readCaffemodel } from '../../src/caffemodel/read';
import { writeCaffemodel } from '../../src/caffemodel/write';
import { caffeType } from '../../src/schema';
import { printText } from '../../src/textformat';
import { needsUpgrade, parseNetTextRaw, readNetText, upgradeNet } from '../../src/upgrade';
import { describeShared, sharedPath } from '../helpers/shared';
import { CaffeRun, fixture, Hashed, readJson } from './fixtures';

const NET = caffeType('NetParameter');
const EVERPEACE = 'reference/models/cifar10-quick-full-everpeace';

function hashed(b: Uint8Array): Hashed {
  return { sha256: createHash('sha256').update(b).digest('hex'), bytes: b.length };
}

interface Everpeace {
  prototxt: Array<{ file: string; input: Hashed; caffe: CaffeRun }>;
  caffemodel: Array<{ file: string; input: Hashed; caffe: CaffeRun; output: Hashed }>;
}
interface Reference {
  file: string;
  input: Hashed;
  caffe: CaffeRun;
  output: Hashed;
}

describeShared('upgrade: everpeace CIFAR-10 V1 nets vs Caffe', () => {
  const ever = readJson<Everpeace>('everpeace.json');

  for (const e of ever.prototxt) {
    it(`${e.file}: byte-identical to upgrade_net_proto_text`, () => {
      const input = sharedPath(EVERPEACE, e.file);
      expect(hashed(fs.readFileSync(input))).toEqual(e.input);
      const got = printText(readNetText(input), NET);
      expect(got).toBe(fs.readFileSync(fixture('everpeace', e.file), 'utf8'));
    });
  }

  describe('binary: caffemodel upgrade', () => {
    let tmp: string;
    beforeAll(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'senet-upgrade-bin-'))));
    afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

    for (const e of ever.caffemodel) {
      it(`${e.file}: our upgrade, written back, is byte-identical to upgrade_net_proto_binary`, () => {
        const model = readCaffemodel(sharedPath(EVERPEACE, e.file));
        expect(model.format).toBe('V1');
        const { net, applied } = upgradeNet(model.net, e.file);
        expect(applied).toEqual(['V1->V2']);
        expect(net.layer?.length).toBe(model.layers.length);
        const out = path.join(tmp, e.file);
        writeCaffemodel(out, net, model.layers);
        expect(hashed(fs.readFileSync(out))).toEqual(e.output);
      });
    }
  });
});

describeShared('upgrade: every other reference prototxt vs Caffe (hashes)', () => {
  const refs = readJson<Reference[]>('reference.json');
  it('lists every prototxt in ../shared/reference but the everpeace ones (above)', () => {
    const all: string[] = [];
    const walk = (rel: string): void => {
      for (const d of fs.readdirSync(sharedPath(rel), { withFileTypes: true })) {
        if (d.isDirectory()) walk(`${rel}/${d.name}`);
        else if (d.name.endsWith('.prototxt')) all.push(`${rel}/${d.name}`);
      }
    };
    walk('reference');
    const everpeace = readJson<Everpeace>('everpeace.json').prototxt.map((e) => `${EVERPEACE}/${e.file}`);
    expect(refs.map((r) => r.file).sort()).toEqual(all.filter((f) => !everpeace.includes(f)).sort());
  });
  for (const r of refs) {
    it(r.file, () => {
      const input = sharedPath(r.file);
      const bytes = fs.readFileSync(input);
      expect(hashed(bytes)).toEqual(r.input);
      const caffeSaysCurrent = r.caffe.log.some((l) => l.includes('already in latest proto format'));
      expect(needsUpgrade(parseNetTextRaw(bytes, input))).toBe(!caffeSaysCurrent);
      expect(hashed(Buffer.from(printText(readNetText(input), NET), 'utf8'))).toEqual(r.output);
    });
  }
});
