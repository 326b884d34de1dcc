import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { InputFileError, NetError, TextFormatError } from '../../src/errors';
import { caffeType, V1LayerParameter_LayerType_NAMES, type NetParameter } from '../../src/schema';
import { printText } from '../../src/textformat';
import {
  needsUpgrade,
  parseNetText,
  parseNetTextRaw,
  parseNetTextWithInfo,
  readNetText,
  upgradeNet,
  V1_TYPE_TO_V2,
} from '../../src/upgrade';
import { fixture, oracle } from './fixtures';

const NET = caffeType('NetParameter');
const print = (net: NetParameter): string => printText(net, NET);
const read = (name: string): Buffer => fs.readFileSync(fixture(name));

describe('upgradeNet against Caffe (fixtures of our own V0/V1/V2 nets)', () => {
  const entries = oracle().filter((e) => e.output && !e.file.startsWith('diverge-'));
  it('has an oracle entry for every upgradable fixture on disk, with the output Caffe wrote', () => {
    const onDisk = fs.readdirSync(fixture('.')).filter((f) => f.endsWith('.prototxt') && !f.startsWith('refuse-') && !f.startsWith('diverge-'));
    expect(entries.map((e) => e.file).sort()).toEqual(onDisk.sort());
    // One per source format: V0 (with and without a padding layer), V1, V2 needing and not needing an upgrade.
    expect(onDisk).toEqual(expect.arrayContaining(['v0-data.prototxt', 'v0-padding.prototxt', 'v1-all-types.prototxt', 'v1-input-shape.prototxt', 'v2-input-bn.prototxt', 'v2-current.prototxt']));
    for (const e of entries) expect([e.file, fs.existsSync(fixture('expected', e.file))]).toEqual([e.file, true]);
  });

  for (const e of entries) {
    it(`${e.file}: byte-identical to upgrade_net_proto_text`, () => {
      const got = print(parseNetText(read(e.file), e.file));
      expect(got).toBe(read(path.join('expected', e.file)).toString('utf8'));
    });

    it(`${e.file}: warns where Caffe logs an error and carries on`, () => {
      const { warnings } = parseNetTextWithInfo(read(e.file), e.file);
      const caffeDrops = e.caffe.log.filter((l) => l.includes('Unknown parameter'));
      expect(warnings.filter((w) => w.includes('was dropped (as Caffe does)') && w.includes("V0 parameter")).length).toBe(
        caffeDrops.length,
      );
      // Each dropped field Caffe names is named by us too.
      for (const l of caffeDrops) {
        const field = /Unknown parameter (\w+) for/.exec(l)?.[1] ?? '';
        const canonical = field === 'shuffle' ? 'shuffle_images' : field;
        expect(warnings.some((w) => w.includes(`'${canonical}'`))).toBe(true);
      }
    });

    it(`${e.file}: needsUpgrade agrees with Caffe; upgrading Caffe's output changes nothing`, () => {
      const raw = parseNetTextRaw(read(e.file), e.file);
      const caffeSaysCurrent = e.caffe.log.some((l) => l.includes('already in latest proto format'));
      expect(needsUpgrade(raw)).toBe(!caffeSaysCurrent);
      const expected = read(path.join('expected', e.file)).toString('utf8');
      const again = upgradeNet(parseNetTextRaw(expected, e.file), 'x');
      // Only the BatchNorm step stays due (3 param specs remain; Caffe flags them every time).
      expect(again.applied.filter((s) => s !== 'BatchNorm')).toEqual([]);
      expect(print(again.net)).toBe(expected);
    });
  }

  it('reports the steps in Caffe order', () => {
    const steps = (f: string): string[] => parseNetTextWithInfo(read(f), f).applied;
    expect(steps('v0-padding.prototxt')).toEqual(['V0->V1', 'V1->V2', 'input']);
    expect(steps('v1-all-types.prototxt')).toEqual(['data-transform', 'V1->V2', 'input']);
    expect(steps('v2-input-bn.prototxt')).toEqual(['input', 'BatchNorm']);
    expect(steps('v2-current.prototxt')).toEqual([]);
  });
});

describe('nets Caffe refuses', () => {
  const refused = oracle().filter((e) => e.file.startsWith('refuse-'));
  it('has an oracle entry for every refused fixture on disk', () => {
    const onDisk = fs.readdirSync(fixture('.')).filter((f) => f.startsWith('refuse-') && f.endsWith('.prototxt'));
    expect(refused.map((e) => e.file).sort()).toEqual(onDisk.sort());
    expect(onDisk.length).toBe(5);
  });
  for (const e of refused) {
    it(`${e.file}: Caffe aborts, we throw a NetError naming the file`, () => {
      expect(e.caffe.exit).not.toBe(0);
      expect(e.output).toBe(false);
      let err: unknown;
      try {
        parseNetText(read(e.file), e.file);
      } catch (x) {
        err = x;
      }
      expect(err).toBeInstanceOf(NetError);
      expect((err as Error).message.startsWith(`${e.file}: `)).toBe(true);
      expect((err as Error).message).not.toContain('\n');
    });
  }

  it('too few input_dim values: Caffe prints garbage dims, we refuse', () => {
    const e = oracle().find((x) => x.file === 'diverge-input-dim-short.prototxt');
    expect(e?.caffe.exit).toBe(0);
    expect(() => parseNetText(read('diverge-input-dim-short.prototxt'), 'd')).toThrow(/need 8 input_dim values.*found 5/);
  });

  it('names the layer and the problem', () => {
    expect(() => parseNetText(read('refuse-padding-into-relu.prototxt'), 'f')).toThrow(
      "f: layer 'r': padding layer 'p' feeds a layer of type 'relu'",
    );
    expect(() => parseNetText(read('refuse-unknown-v0-type.prototxt'), 'f')).toThrow("unknown V0 layer type 'quux'");
    expect(() => parseNetText(read('refuse-unknown-bottom.prototxt'), 'f')).toThrow("bottom 'nowhere'");
    expect(() => parseNetText(read('refuse-mixed-layers.prototxt'), 'f')).toThrow(/both 'layer' and 'layers'/);
  });
});

describe('V1 -> V2 layer types', () => {
  it('maps every V1 enum value', () => {
    expect(Object.keys(V1_TYPE_TO_V2).sort()).toEqual([...V1LayerParameter_LayerType_NAMES].sort());
    const text = read('v1-all-types.prototxt').toString('utf8');
    for (const t of V1LayerParameter_LayerType_NAMES) expect(text).toMatch(new RegExp(`type: ${t}\\n`));
  });

  it('refuses a V1 type number the schema does not know (binary input)', () => {
    const net = { layers: [{ name: 'odd', type: 99 }] } as unknown as NetParameter;
    expect(() => upgradeNet(net, 'm.caffemodel')).toThrow("m.caffemodel: layer 'odd': unknown V1 layer type 99");
  });
});

describe('upgradeNet is pure', () => {
  it('does not modify its input and shares blob payloads', () => {
    const data = new Float32Array([1, 2, 3]);
    const net: NetParameter = {
      name: 'n',
      input: ['x'],
      input_dim: [1, 3, 1, 1],
      layers: [
        {
          name: 'd',
          type: 'DATA',
          top: ['y'],
          data_param: { source: 's', mirror: true },
        },
        { name: 'ip', type: 'INNER_PRODUCT', bottom: ['x'], top: ['z'], blobs_lr: [1, 2], blobs: [{ shape: { dim: [3] }, data }] },
      ],
    };
    const before = JSON.stringify(net);
    const { net: out, applied } = upgradeNet(net, 'n');
    expect(JSON.stringify(net)).toBe(before);
    expect(applied).toEqual(['data-transform', 'V1->V2', 'input']);
    expect(out.layer?.[1]).toMatchObject({ name: 'd', type: 'Data', data_param: { source: 's' }, transform_param: { mirror: true } });
    expect(out.layer?.[2].param).toEqual([{ lr_mult: 1 }, { lr_mult: 2 }]);
    expect(out.layer?.[2].blobs?.[0].data).toBe(data);
    expect(out.layers).toBeUndefined();
    expect(out.input).toBeUndefined();
  });

  it('returns a copy even when nothing needs upgrading', () => {
    const net: NetParameter = { name: 'n', layer: [{ name: 'a', type: 'ReLU' }] };
    const r = upgradeNet(net, 'n');
    expect(r.applied).toEqual([]);
    expect(r.net).toEqual(net);
    expect(r.net).not.toBe(net);
    expect(r.net.layer?.[0]).not.toBe(net.layer?.[0]);
  });

  it('drops a shapeless input (legacy caffemodel) without adding a layer', () => {
    const r = upgradeNet({ input: ['data'], layer: [{ name: 'a' }] }, 'n');
    expect(r.net).toEqual({ layer: [{ name: 'a' }] });
    expect(r.applied).toEqual(['input']);
  });
});

describe('readNetText / parseNetText', () => {
  let tmp: string;
  beforeAll(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'senet-upgrade-'))));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('reads and upgrades a file', () => {
    const net = readNetText(fixture('v1-input-shape.prototxt'));
    expect(net.layer?.map((l) => l.type)).toEqual(['Input', 'Convolution', 'InnerProduct']);
  });

  it('accepts a string', () => {
    expect(parseNetText('layers { name: "r" type: RELU }', 's').layer).toEqual([{ name: 'r', type: 'ReLU' }]);
  });

  it('unreadable files: InputFileError with the path', () => {
    const missing = path.join(tmp, 'missing.prototxt');
    expect(() => readNetText(missing)).toThrow(InputFileError);
    expect(() => readNetText(missing)).toThrow(`${missing}: cannot read: no such file`);
    expect(() => readNetText(tmp)).toThrow(`${tmp}: is a folder`);
  });

  it('syntax errors: TextFormatError with file:line:col', () => {
    const f = path.join(tmp, 'bad.prototxt');
    fs.writeFileSync(f, 'name: "x"\nlayer {\n  nmae: "y"\n}\n');
    expect(() => readNetText(f)).toThrow(TextFormatError);
    expect(() => readNetText(f)).toThrow(new RegExp(`^${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:3: `));
  });
});
