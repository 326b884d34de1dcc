import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as protobuf from 'protobufjs';
import { InputFileError } from '../../src/errors';
import {
  caffeEnum,
  caffeEnumNames,
  caffeRoot,
  caffeType,
  decodeMessage,
  encodeMessage,
  type NetParameter,
} from '../../src/schema';
import { describeShared, sharedPath } from '../helpers/shared';

const ROOT = path.resolve(__dirname, '..', '..');
const FACTS_FILE = path.join(ROOT, 'test', 'fixtures', 'schema', 'caffe-descriptor-facts.json');
const EXTRACTOR = path.join(ROOT, 'tools', 'extract-caffe-descriptor.js');
const ORACLE_LIB = '/opt/caffe-bullseye/usr/lib/x86_64-linux-gnu/libcaffe.so.1.0.0';

type Default = number | boolean | string;
interface FieldFact {
  name: string;
  number: number;
  label: 'optional' | 'required' | 'repeated';
  type: string;
  kind: 'scalar' | 'message' | 'enum';
  default?: Default;
  deprecated?: boolean;
  packed: boolean;
}
interface Facts {
  package: string;
  syntax: string;
  messages: { name: string; fields: FieldFact[] }[];
  enums: { name: string; values: { name: string; number: number }[] }[];
}

const facts = JSON.parse(fs.readFileSync(FACTS_FILE, 'utf8')) as Facts;

/** The same summary as the extractor's, computed from our proto through protobufjs reflection. */
function ourFacts(root: protobuf.Root): Facts {
  const messages: Facts['messages'] = [];
  const enums: Facts['enums'] = [];
  const visit = (ns: protobuf.NamespaceBase): void => {
    for (const obj of ns.nestedArray) {
      if (obj instanceof protobuf.Enum) {
        enums.push({
          name: obj.fullName.slice(1),
          values: Object.entries(obj.values).map(([name, number]) => ({ name, number })),
        });
      } else if (obj instanceof protobuf.Type) {
        messages.push({ name: obj.fullName.slice(1), fields: obj.fieldsArray.map(fieldFact) });
        visit(obj);
      } else if (obj instanceof protobuf.Namespace) {
        visit(obj);
      }
    }
  };
  visit(root);
  const byName = (a: { name: string }, b: { name: string }): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  messages.sort(byName);
  for (const m of messages) m.fields.sort((a, b) => a.number - b.number);
  enums.sort(byName);
  return { package: 'caffe', syntax: 'proto2', messages, enums };
}

function fieldFact(field: protobuf.Field): FieldFact {
  const resolved = field.resolvedType;
  const fact: FieldFact = {
    name: field.name,
    number: field.id,
    label: field.repeated ? 'repeated' : field.required ? 'required' : 'optional',
    type: resolved !== null ? resolved.fullName.slice(1) : field.type,
    kind: resolved instanceof protobuf.Type ? 'message' : resolved instanceof protobuf.Enum ? 'enum' : 'scalar',
    packed: field.options?.packed === true,
  };
  const dflt: unknown = field.options?.default;
  if (dflt !== undefined) fact.default = dflt as Default;
  if (field.options?.deprecated === true) fact.deprecated = true;
  // Key order as in the facts file, so that a failing diff is easy to read.
  return Object.fromEntries(
    ['name', 'number', 'label', 'type', 'kind', 'default', 'deprecated', 'packed']
      .filter((k) => (fact as unknown as Record<string, unknown>)[k] !== undefined)
      .map((k) => [k, (fact as unknown as Record<string, unknown>)[k]]),
  ) as unknown as FieldFact;
}

describe('proto/caffe.proto against the facts extracted from real Caffe', () => {
  const ours = ourFacts(caffeRoot());

  test('the facts file is the expected build', () => {
    expect(facts.package).toBe('caffe');
    expect(facts.syntax).toBe('proto2');
    expect(facts.messages).toHaveLength(63);
    expect(facts.enums).toHaveLength(26);
    expect(facts.messages.reduce((n, m) => n + m.fields.length, 0)).toBe(423);
  });

  test('same set of messages and enums', () => {
    expect(ours.messages.map((m) => m.name)).toEqual(facts.messages.map((m) => m.name));
    expect(ours.enums.map((e) => e.name)).toEqual(facts.enums.map((e) => e.name));
  });

  test.each(facts.messages.map((m) => [m.name, m] as const))('message %s: every field matches', (name, theirs) => {
    const mine = ours.messages.find((m) => m.name === name);
    expect(mine?.fields).toEqual(theirs.fields);
  });

  test.each(facts.enums.map((e) => [e.name, e] as const))('enum %s: every value matches', (name, theirs) => {
    const mine = ours.enums.find((e) => e.name === name);
    expect(mine?.values).toEqual(theirs.values);
  });

  test("protobufjs's effective packing equals the declared one on every repeated field", () => {
    for (const m of facts.messages) {
      const type = caffeType(m.name);
      for (const f of m.fields.filter((x) => x.label === 'repeated')) {
        expect([`${m.name}.${f.name}`, type.fields[f.name].packed]).toEqual([`${m.name}.${f.name}`, f.packed]);
      }
    }
  });

  test('features the rest of the project relies on are present', () => {
    expect(caffeEnumNames('PoolingParameter.RoundMode')).toEqual(['CEIL', 'FLOOR']);
    expect(caffeType('LayerParameter').fields.clip_param.id).toBe(148);
    expect(caffeType('LayerParameter').fields.swish_param.id).toBe(147);
    expect(caffeEnum('V1LayerParameter.LayerType').values.CONVOLUTION).toBe(4);
  });
});

const describeOracle = fs.existsSync(ORACLE_LIB) ? describe : describe.skip;
if (!fs.existsSync(ORACLE_LIB)) {
  // eslint-disable-next-line no-console
  console.warn(`[skip] fresh descriptor extraction: the oracle Caffe is absent (${ORACLE_LIB})`);
}

describeOracle('facts file against a fresh extraction from /opt/caffe-bullseye', () => {
  test('byte-identical JSON', () => {
    const fresh = execFileSync(process.execPath, [EXTRACTOR, '--stdout'], { encoding: 'utf8' });
    expect(fresh).toBe(fs.readFileSync(FACTS_FILE, 'utf8'));
  });
});

describe('caffeType / caffeEnum', () => {
  test('accept names with or without the package and cache the root', () => {
    expect(caffeType('caffe.NetParameter')).toBe(caffeType('NetParameter'));
    expect(caffeRoot()).toBe(caffeRoot());
    expect(caffeEnum('caffe.Phase').values).toEqual({ TRAIN: 0, TEST: 1 });
  });

  test('unknown names throw a clear error', () => {
    expect(() => caffeType('NoSuchParameter')).toThrow("unknown Caffe message type 'NoSuchParameter'");
    expect(() => caffeType('Phase')).toThrow("unknown Caffe message type 'Phase'");
    expect(() => caffeEnum('PoolingParameter')).toThrow("unknown Caffe enum 'PoolingParameter'");
  });
});

describe('encodeMessage / decodeMessage', () => {
  test('wire bytes of a packed int64 field and an enum, checked by hand', () => {
    // BlobShape.dim = 1, packed: tag 0x0a, length 3, varints 1, 3, 224 (0xe0 0x01)
    expect(Array.from(encodeMessage('BlobShape', { dim: [1, 3, 224] }))).toEqual([0x0a, 0x04, 0x01, 0x03, 0xe0, 0x01]);
    // PoolingParameter.pool = 1 (AVE), round_mode = 13 (FLOOR = 1)
    expect(Array.from(encodeMessage('PoolingParameter', { pool: 'AVE', round_mode: 'FLOOR' }))).toEqual([0x08, 0x01, 0x68, 0x01]);
    // BlobProto.data = 5, packed float: 1.0f = 00 00 80 3f
    expect(Array.from(encodeMessage('BlobProto', { data: new Float32Array([1]) }))).toEqual([0x2a, 0x04, 0, 0, 0x80, 0x3f]);
  });

  test('round trip keeps presence, enum names, int64 numbers and bytes', () => {
    const net: NetParameter = {
      name: 'probe',
      layer: [
        {
          name: 'pool',
          type: 'Pooling',
          bottom: ['data'],
          top: ['pool'],
          pooling_param: { pool: 'MAX', kernel_size: 3, stride: 2, round_mode: 'CEIL' },
          clip_param: { min: -1, max: 1 },
          blobs: [{ shape: { dim: [2, 3] }, data: [0.5, -2, 3, 4, 5, 6] }],
        },
      ],
      state: { phase: 'TEST' },
    };
    const back = decodeMessage('NetParameter', encodeMessage('NetParameter', net));
    expect(back).toEqual(net);
    // Unset fields stay absent (no defaults filled in).
    expect(Object.keys(back.layer?.[0].pooling_param ?? {})).toEqual(['pool', 'kernel_size', 'stride', 'round_mode']);

    const solver = decodeMessage('SolverParameter', encodeMessage('SolverParameter', { random_seed: 2 ** 40 + 7 }));
    expect(solver.random_seed).toBe(2 ** 40 + 7);
    expect(typeof solver.random_seed).toBe('number');

    const datum = decodeMessage('Datum', encodeMessage('Datum', { data: new Uint8Array([7, 8, 9]), label: 4 }));
    expect(Object.getPrototypeOf(datum.data)).toBe(Uint8Array.prototype);
    expect(Array.from(datum.data ?? [])).toEqual([7, 8, 9]);
  });

  test('invalid objects are rejected with the path to the bad value', () => {
    const bad = (obj: unknown): (() => Uint8Array) => () => encodeMessage('NetParameter', obj as NetParameter);
    expect(bad({ layer: [{ pooling_param: { pool: 'MAXX' } }] })).toThrow(
      "caffe.NetParameter.layer[0].pooling_param.pool: 'MAXX' is not a value of caffe.PoolingParameter.PoolMethod",
    );
    expect(bad({ layer: [{ num_output: 3 }] })).toThrow("caffe.NetParameter.layer[0].num_output: caffe.LayerParameter has no field 'num_output'");
    expect(bad({ layer: [{ clip_param: { min: 0 } }] })).toThrow('caffe.NetParameter.layer[0].clip_param.max: required field is missing');
    expect(bad({ input_dim: [1, 2.5] })).toThrow('caffe.NetParameter.input_dim[1]: expected a 32-bit signed integer');
    expect(bad({ name: 3 })).toThrow('caffe.NetParameter.name: expected a string');
    expect(bad({ layer: { name: 'x' } })).toThrow('caffe.NetParameter.layer: expected an array');
  });

  test('malformed bytes give an InputFileError naming the source', () => {
    const truncated = encodeMessage('NetParameter', { name: 'a long enough name' }).subarray(0, 5);
    expect(() => decodeMessage('NetParameter', truncated, 'model.caffemodel')).toThrow(InputFileError);
    expect(() => decodeMessage('NetParameter', truncated, 'model.caffemodel')).toThrow(
      /^model\.caffemodel: not a valid caffe\.NetParameter message/,
    );
  });
});

describeShared('real caffemodels written by Caffe (../shared)', () => {
  // Caffe writes fields in number order, and so does protobufjs with our proto (fields are declared
  // in number order), so a decode/encode round trip must give back the very same bytes.
  test.each([
    ['mnist-lenet-v2-ethereon/lenet_iter_10000.caffemodel', 'NetParameter', 'layer'],
    ['cifar10-quick-full-everpeace/cifar10_quick_iter_5000.caffemodel', 'NetParameter', 'layers'],
    ['cifar10-resnet20-ljf/cifar10_ResNet_20_iter_53500.caffemodel', 'NetParameter', 'layer'],
    ['cifar10-resnet20-ljf/cifar10_mean.binaryproto', 'BlobProto', 'data'],
  ])('%s round-trips byte for byte', (file, typeName, key) => {
    const bytes = fs.readFileSync(sharedPath('reference', 'models', file));
    const msg = decodeMessage(typeName, bytes, file);
    expect(msg[key]).toBeDefined();
    expect(Buffer.compare(Buffer.from(encodeMessage(typeName, msg)), bytes)).toBe(0);
  });
});
