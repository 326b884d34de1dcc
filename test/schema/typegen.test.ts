import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vm from 'vm';
import * as ts from 'typescript';
import { caffeEnumNames, caffeRoot } from '../../src/schema';
import { generateTypes } from '../../src/schema/typegen';

const ROOT = path.resolve(__dirname, '..', '..');
const GENERATED = path.join(ROOT, 'src', 'schema', 'caffe.generated.ts');
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

const text = generateTypes(caffeRoot());

describe('src/schema/caffe.generated.ts', () => {
  test('is up to date with proto/caffe.proto', () => {
    const committed = fs.readFileSync(GENERATED, 'utf8');
    if (committed !== text) {
      throw new Error('src/schema/caffe.generated.ts is stale: run `npm run gen:types` and commit the result');
    }
  });

  test('declares every message and enum with the representation of docs/design.md', () => {
    const root = caffeRoot();
    expect(text.match(/^export interface \w+ \{$/gm)).toHaveLength(63 + 4); // messages + the two maps + the two resolved maps
    expect(text.match(/^export type \w+ = \(typeof \w+_NAMES\)\[number\];$/gm)).toHaveLength(26);
    expect(root.lookupType('caffe.LayerParameter').fieldsArray).toHaveLength(60);
    expect(text).toContain('  /** #13, default: CEIL */\n  round_mode?: PoolingParameter_RoundMode;');
    expect(text).toContain('  /** #1, packed */\n  dim?: number[];'); // int64 -> number
    expect(text).toContain('  /** #4 */\n  data?: Uint8Array;'); // Datum bytes
    expect(text).toContain('  /** #5, packed */\n  data?: number[] | Float32Array;'); // BlobProto payload
    expect(text).toContain('  /** #1, required */\n  min?: number;'); // ClipParameter
    expect(text).toContain('  /** #1, default: "constant" */\n  type?: string;'); // FillerParameter
    expect(text).toContain('  /** #100 */\n  layer?: LayerParameter[];');
    expect(text).toContain('  /** #5 */\n  type?: V1LayerParameter_LayerType;');
    expect(text).toContain("  'PoolingParameter.PoolMethod': PoolingParameter_PoolMethod;");
    expect(text).toContain('export type CaffeMessageName = keyof CaffeMessages;');
  });

  test('the _NAMES constants list each enum in declaration order', () => {
    const js = ts.transpileModule(text, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } });
    const mod = { exports: {} as Record<string, unknown> };
    vm.runInNewContext(js.outputText, { module: mod, exports: mod.exports });
    const names = Object.keys(mod.exports).filter((k) => k.endsWith('_NAMES'));
    expect(names).toHaveLength(26);
    for (const key of names) {
      const dotted = key.slice(0, -'_NAMES'.length).replace(/_/g, '.');
      expect([key, Array.from(mod.exports[key] as string[])]).toEqual([key, caffeEnumNames(dotted)]);
    }
  });

  test('type-checks under strict tsc, and the types accept and reject what they should', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'senet-typegen-'));
    try {
      fs.writeFileSync(path.join(dir, 'caffe.generated.ts'), text);
      fs.writeFileSync(
        path.join(dir, 'probe.ts'),
        [
          "import type { CaffeEnums, CaffeMessageName, CaffeMessages, NetParameter } from './caffe.generated';",
          "import { PoolingParameter_PoolMethod_NAMES } from './caffe.generated';",
          'export const net: NetParameter = {',
          "  name: 'probe',",
          "  layer: [{ name: 'p', type: 'Pooling', pooling_param: { pool: 'AVE', round_mode: 'FLOOR' },",
          '    blobs: [{ shape: { dim: [1, 2] }, data: new Float32Array(2) }] }],',
          "  state: { phase: 'TEST' },",
          '};',
          "export const name: CaffeMessageName = 'V0LayerParameter';",
          "export const layerType: CaffeEnums['V1LayerParameter.LayerType'] = 'CONVOLUTION';",
          "export const blob: CaffeMessages['BlobProto'] = { double_data: new Float64Array(1) };",
          'export const methods: readonly string[] = PoolingParameter_PoolMethod_NAMES;',
          '// @ts-expect-error not a PoolMethod name',
          "export const bad1: NetParameter = { layer: [{ pooling_param: { pool: 'MAXX' } }] };",
          '// @ts-expect-error no such field',
          "export const bad2: NetParameter = { layer: [{ num_output: 3 }] };",
          '// @ts-expect-error int64 is a number, not a string',
          "export const bad3: CaffeMessages['BlobShape'] = { dim: ['1'] };",
          '// @ts-expect-error not a message name',
          "export const bad4: CaffeMessageName = 'Nope';",
          '',
        ].join('\n'),
      );
      // A standalone project: the generated file must compile on its own, with no ambient types.
      fs.writeFileSync(
        path.join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: { strict: true, noEmit: true, target: 'ES2022', lib: ['ES2022'], types: [], module: 'commonjs' },
          files: ['caffe.generated.ts', 'probe.ts'],
        }),
      );
      const args = [TSC, '-p', dir];
      try {
        execFileSync(process.execPath, args, { encoding: 'utf8', stdio: 'pipe' });
      } catch (err) {
        const e = err as { stdout?: string; stderr?: string };
        throw new Error(`tsc failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
