/** docs/supported-layers.md is what the handler table says (regenerate: npm run gen:docs). */
import * as fs from 'fs';
import * as path from 'path';
import { layerHandlers } from '../../src/layers';
import { SUPPORTED_LAYERS_DOC, supportedLayersMarkdown } from '../../src/layers/supported-docs';

const root = path.join(__dirname, '../..');

describe('docs/supported-layers.md', () => {
  const text = supportedLayersMarkdown();

  it('is current (npm run gen:docs regenerates it)', () => {
    const onDisk = fs.readFileSync(path.join(root, SUPPORTED_LAYERS_DOC), 'utf8');
    expect(onDisk === text ? 'current' : 'stale: run npm run gen:docs').toBe('current');
  });

  it('has one row per handler, marking each target by whether the handler converts to it', () => {
    const rows = text.split('\n').filter((l) => /^\| [A-Z]/.test(l) && !l.startsWith('| Type'));
    expect(rows.map((r) => r.split('|')[1].trim())).toEqual([...layerHandlers.keys()]);
    const row = (type: string): string[] => rows.find((r) => r.startsWith(`| ${type} |`))!.split('|').map((c) => c.trim());
    expect(row('Convolution')[3]).toBe('yes');
    expect(row('Deconvolution')[3]).toBe('no');
    // Inputs and layers dropped at inference are not converted at all: no mark.
    expect(row('Data')[3]).toBe('');
    expect(row('SoftmaxWithLoss')[2]).toMatch(/train-only/);
  });

  it('lists the refused cases the handlers document', () => {
    expect(text).toMatch(/- BatchNorm: use_global_stats: false/);
    expect(text).toMatch(/- Convolution: stride > 1 together with dilation > 1/);
  });
});
