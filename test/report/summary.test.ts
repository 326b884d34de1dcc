/**
 * Summary model and table, display graph (folding, groups, SE modules) and layout, on the
 * official SENet prototxts committed under test/fixtures/senet-official and registry nets.
 */
import * as path from 'path';
import { findArch, resolveOptions } from '../../src/archs';
import { inferShapes } from '../../src/layers';
import { buildGraph, formatSummaryTable, layoutDag, nameKey, renderNetPage, summarize, withSuffix, withThousands } from '../../src/report';
import { parseNetText, readNetText } from '../../src/upgrade';

const OFFICIAL = path.resolve(__dirname, '..', 'fixtures', 'senet-official');
const official = (name: string) => inferShapes(readNetText(path.join(OFFICIAL, `${name}.prototxt`)));

describe('summary', () => {
  it('SE-ResNet-50: 28,088,024 params, 3.86 G MACs; SENet-154: 115,088,984 and 20.69 G', () => {
    const r50 = summarize(official('SE-ResNet-50'));
    expect(r50.params).toBe(28088024);
    expect(withSuffix(r50.macs)).toBe('3.86 G');
    const s154 = summarize(official('SENet-154'));
    expect(s154.params).toBe(115088984);
    expect(withSuffix(s154.macs)).toBe('20.69 G');
    // Totals are the sums of the rows.
    expect(s154.layers.reduce((s, l) => s + l.params, 0)).toBe(s154.params);
    expect(s154.layers.reduce((s, l) => s + l.macs, 0)).toBe(s154.macs);
  });

  it('rows follow Caffe: conv floor, pooling ceil, global pooling; BatchNorm statistics are not parameters', () => {
    const s = summarize(official('SE-ResNet-50'));
    const row = (n: string) => s.layers.find((l) => l.name === n)!;
    expect(row('conv1/7x7_s2')).toEqual({ name: 'conv1/7x7_s2', type: 'Convolution', tops: ['conv1/7x7_s2'], shape: [[1, 64, 112, 112]], params: 9408, macs: 118013952 });
    // 3x3 stride 2 pooling of 112 without padding: ceil((112-3)/2)+1 = 56 (floor would give 55).
    expect(row('pool1/3x3_s2').shape).toEqual([[1, 64, 56, 56]]);
    expect(row('conv2_1_global_pool').shape).toEqual([[1, 256, 1, 1]]);
    expect(row('conv1/7x7_s2/bn').params).toBe(0);
    expect(row('conv1/7x7_s2/bn/scale').params).toBe(128);
    expect(row('classifier').macs).toBe(2048 * 1000);
  });

  it('pooling ceil with the pad clip, on a small net', () => {
    const net = parseNetText(
      `name: "clip"
       layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 2 dim: 3 dim: 6 dim: 6 } } }
       layer { name: "conv" type: "Convolution" bottom: "data" top: "conv" convolution_param { num_output: 4 kernel_size: 3 stride: 2 } }
       layer { name: "pool" type: "Pooling" bottom: "data" top: "pool" pooling_param { pool: MAX kernel_size: 3 stride: 2 pad: 1 } }
       layer { name: "gp" type: "Pooling" bottom: "conv" top: "gp" pooling_param { pool: AVE global_pooling: true } }
       layer { name: "small" type: "Input" top: "small" input_param { shape { dim: 1 dim: 1 dim: 4 dim: 4 } } }
       layer { name: "clip" type: "Pooling" bottom: "small" top: "clip" pooling_param { pool: MAX kernel_size: 3 stride: 3 pad: 2 } }`,
      'clip.prototxt',
    );
    const s = summarize(inferShapes(net));
    const shape = (n: string) => s.layers.find((l) => l.name === n)!.shape[0];
    expect(shape('conv')).toEqual([2, 4, 2, 2]); // floor((6-3)/2)+1
    // ceil((6+2-3)/2)+1 = 4 where floor gives 3.
    expect(shape('pool')).toEqual([2, 3, 4, 4]);
    // ceil((4+4-3)/3)+1 = 3, but the last window would start at 6 >= 4+2, in the padding: 2.
    expect(shape('clip')).toEqual([1, 1, 2, 2]);
    expect(shape('gp')).toEqual([2, 4, 1, 1]);
    expect(s.layers.find((l) => l.name === 'conv')!.macs).toBe(4 * 3 * 3 * 3 * 2 * 2);
  });

  it('number formats', () => {
    expect(withThousands(28088024)).toBe('28,088,024');
    expect(withThousands(999)).toBe('999');
    expect(withThousands(1000)).toBe('1,000');
    expect(withSuffix(28088024)).toBe('28.09 M');
    expect(withSuffix(20688363520)).toBe('20.69 G');
    expect(withSuffix(512)).toBe('512');
  });

  it('the table is aligned, with thousands separators and G/M totals', () => {
    const text = formatSummaryTable(summarize(official('SE-ResNet-50')), { heading: ['input: data 1x3x224x224'] });
    const lines = text.split('\n');
    expect(lines[0]).toBe('SE-ResNet-50');
    expect(lines[1]).toBe('input: data 1x3x224x224');
    const header = lines[3];
    expect(header).toMatch(/^\s*#\s+layer\s+type\s+output shape\s+params\s+MACs$/);
    const rows = lines.slice(5, 5 + 309);
    expect(rows).toHaveLength(309);
    // Right-aligned numeric columns end at the header's end.
    for (const r of rows) expect(r.length).toBeLessThanOrEqual(header.length);
    const conv = rows.find((r) => r.includes(' conv1/7x7_s2 '))!;
    expect(conv).toMatch(/Convolution\s+1x64x112x112\s+9,408\s+118,013,952$/);
    expect(conv.length).toBe(header.length);
    expect(text).toContain('params: 28,088,024 (28.09 M)');
    expect(text).toContain('MACs:   3,860,488,192 (3.86 G) per image');
    expect(text).toContain('layers: 309');
  });
});

describe('display graph', () => {
  it('name keys: stage and block across the families', () => {
    expect(nameKey('conv2_1_1x1_reduce')).toMatchObject({ stageText: 'conv2', blockText: 'conv2_1' });
    expect(nameKey('res4b12_branch2b')).toMatchObject({ stageText: 'res4', blockText: 'res4b12' });
    expect(nameKey('bn4b12_branch2b')).toMatchObject({ stage: '4', block: '4|b12' });
    expect(nameKey('inception_3a/1x1')).toMatchObject({ stageText: 'inception_3', blockText: 'inception_3a' });
    expect(nameKey('block_2_1_branch2a_bn')).toMatchObject({ stageText: 'block_2', blockText: 'block_2_1' });
    expect(nameKey('transition_down_1_1x1_bn')).toEqual({ stage: '1', stageText: 'transition_down_1' });
    expect(nameKey('conv1/7x7_s2')).toEqual({ stage: '1', stageText: 'conv1' });
    expect(nameKey('classifier')).toBeUndefined();
  });

  it('SE-ResNet-50: in-place layers folded, stages conv1..conv5, 16 blocks, 16 SE modules', () => {
    const g = buildGraph(official('SE-ResNet-50'));
    // Every layer is in exactly one node.
    const seen = g.nodes.flatMap((n) => n.layers).sort((a, b) => a - b);
    expect(seen).toEqual(g.layers.map((_, i) => i));
    const conv1 = g.nodes.find((n) => g.layers[n.layers[0]].name === 'conv1/7x7_s2')!;
    expect(conv1.layers.map((i) => g.layers[i].name)).toEqual(['conv1/7x7_s2', 'conv1/7x7_s2/bn', 'conv1/7x7_s2/bn/scale', 'conv1/relu_7x7_s2']);
    expect(g.groups.filter((x) => x.kind === 'stage').map((x) => x.label)).toEqual(['conv1', 'conv2', 'conv3', 'conv4', 'conv5']);
    const blocks = g.groups.filter((x) => x.kind === 'block');
    expect(blocks).toHaveLength(16);
    expect(blocks[0].label).toBe('conv2_1');
    const se = g.groups.filter((x) => x.kind === 'se');
    expect(se).toHaveLength(16);
    expect(se[0].label).toBe('conv2_1');
    expect(se[0].layerCount).toBe(5); // global_pool, 1x1_down, relu, 1x1_up, prob
    expect(g.groups[se[0].parent!].label).toBe('conv2_1');
    // Edges carry the blob's shape when it was read: pool1 -> conv2_1 is 56x56 (Caffe's ceil).
    const e = g.edges.find((x) => x.blob === 'pool1/3x3_s2')!;
    expect(e.shape).toEqual([1, 64, 56, 56]);
    const byName = (n: string) => g.nodes.find((x) => g.layers[x.layers[0]].name === n)!.id;
    expect(g.edges.some((x) => x.from === byName('conv2_1_1x1_up') && x.to === byName('conv2_1'))).toBe(true);
  });

  it('toolkit SE variants (Scale-gated DenseNet) get SE groups too', () => {
    const entry = findArch('densenet-121');
    const net = entry.build(resolveOptions(entry, { se: true })).build();
    const g = buildGraph(inferShapes(net));
    const se = g.groups.filter((x) => x.kind === 'se');
    expect(se.length).toBe(58);
    expect(se[0].label).toBe('block_1_1');
  });

  it('layout: forward layering, no overlaps within a layer, edges start and end at their nodes', () => {
    const shapes = official('SENet-154');
    const g = buildGraph(shapes);
    const t0 = Date.now();
    const sizes = g.nodes.map(() => ({ w: 240, h: 40 }));
    const L = layoutDag(sizes, g.edges);
    expect(Date.now() - t0).toBeLessThan(3000);
    for (const e of g.edges) expect(L.rank[e.to]).toBeGreaterThan(L.rank[e.from]);
    const byRank = new Map<number, number[]>();
    g.nodes.forEach((n) => byRank.set(L.rank[n.id], [...(byRank.get(L.rank[n.id]) ?? []), n.id]));
    for (const ids of byRank.values()) {
      const xs = ids.map((i) => L.x[i]).sort((a, b) => a - b);
      for (let i = 1; i < xs.length; i++) expect(xs[i] - xs[i - 1]).toBeGreaterThanOrEqual(240);
    }
    g.edges.forEach((e, i) => {
      const p = L.points[i];
      expect(p[0]).toEqual([expect.closeTo(L.x[e.from] + 120, 0), L.y[e.from] + 40]);
      expect(p[p.length - 1][1]).toBe(L.y[e.to]);
    });
    // The trunk stays near-straight: the page is a few nodes wide, not hundreds.
    expect(L.width).toBeLessThan(6 * 240);
  });

  it('renders SENet-154 fast; the page holds every layer name and no external reference', () => {
    const t0 = Date.now();
    const { html } = renderNetPage(official('SENet-154'), { source: 'SENet-154.prototxt' });
    expect(Date.now() - t0).toBeLessThan(4000);
    const s = official('SENet-154');
    for (const l of s.layers) expect(html).toContain(`>${l.name.replace(/&/g, '&#38;')}</text>`);
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/@import|url\((?!#)/);
    expect(html).toContain('115.09 M');
    expect(html).toContain('20.69 G');
  });
});
