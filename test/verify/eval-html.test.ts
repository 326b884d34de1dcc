/** The eval HTML report on a synthetic result: accuracy beside the published numbers, confusions, worst classes, unreadable images. */
import { confusionSummary, imagenetClasses, renderEvalPage } from '../../src/verify';
import { syntheticEval } from './synthetic-reports';

const text = (s: string): string => s.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();
function rows(html: string, tableId: string): string[] {
  const t = new RegExp(`<table[^>]*id="${tableId}"[\\s\\S]*?<tbody>([\\s\\S]*?)</tbody>`).exec(html);
  if (!t) throw new Error(`no table ${tableId}`);
  return [...t[1].matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) => text(m[1]));
}

describe('eval HTML report', () => {
  const r = syntheticEval();
  const html = renderEvalPage(r, { model: 'se-resnet-50', images: 'ILSVRC2012_img_val', labels: 'val.txt', date: new Date(0) });
  const C = imagenetClasses('standard');

  it('the synthetic result is what the test means it to be', () => {
    expect([r.top1, r.top5, r.evaluated, r.images]).toEqual([8, 14, 16, 18]);
    expect(r.published?.model).toBe('SE-ResNet-50');
  });

  it('header and accuracy table: this run beside the published numbers', () => {
    expect(html).toContain('<h1>se-resnet-50</h1>');
    expect(text(/id="t-top1">([\s\S]*?)<\/dd>/.exec(html)![1])).toBe('50.00% 8 / 16');
    expect(text(/id="t-top5">([\s\S]*?)<\/dd>/.exec(html)![1])).toBe('87.50% 14 / 16');
    expect(text(/id="t-published">([\s\S]*?)<\/dd>/.exec(html)![1])).toBe('77.63% / 93.64% SE-ResNet-50');
    expect(text(/id="t-images">([\s\S]*?)<\/dd>/.exec(html)![1])).toBe('16 of 18');
    expect(html).toMatch(/id="t-unreadable" class="bad">2</);
    expect(text(/id="t-ips">([\s\S]*?)<\/dd>/.exec(html)![1])).toBe('4.5 2 workers, wasm');
    expect(rows(html, 'accuracy-table')).toEqual([
      'this run (16 images) 50.00% 87.50%',
      'published: SE-ResNet-50, ILSVRC2012 val 77.63% 93.64%',
      'difference (this run − published) −27.63 −6.14',
    ]);
    // The chart draws the same four numbers.
    const svg = /<svg class="chart" id="accuracy-chart"[\s\S]*?<\/svg>/.exec(html)![0];
    expect([...svg.matchAll(/class="acc-val"[^>]*>([^<]+)</g)].map((m) => m[1])).toEqual(['50.00%', '77.63%', '87.50%', '93.64%']);
  });

  it('most confused pairs, with counts, shares and synset words', () => {
    const pairs = rows(html, 'pairs-table');
    const name = (i: number): string => `${i} ${C[i].synset} ${C[i].words}`;
    expect(pairs).toEqual([
      `3 60.00% ${name(0)} ${name(1)}`,
      `2 100.00% ${name(3)} ${name(0)}`,
      `1 33.33% ${name(2)} ${name(7)}`,
      `1 33.33% ${name(2)} ${name(8)}`,
      `1 50.00% ${name(4)} ${name(1)}`,
    ]);
    expect(C[0].synset).toBe('n01440764');
    expect(html).toContain('tench');
  });

  it('worst classes: per-class top-1, lowest first, with the most frequent wrong prediction', () => {
    const worst = rows(html, 'worst-table');
    expect(worst.map((w) => w.split(' ').slice(0, 4).join(' '))).toEqual([
      '0.00% 0 2 3', '33.33% 1 3 2', '40.00% 2 5 0', '50.00% 1 2 4', '100.00% 4 4 1',
    ]);
    expect(worst[0]).toContain(`${C[0].synset} ${C[0].words} ×2`);
    expect(worst[4].endsWith('-')).toBe(true);
    expect(html).toContain('the 5 lowest of 5 classes present');
    // More classes than the cut: the 10 lowest are kept.
    const many = confusionSummary(Array.from({ length: 30 }, (_, i) => ({ file: `f${i}`, label: i, top5: [i % 3 === 0 ? i + 1 : i], top1Prob: 1 })));
    expect(many.worst.length).toBe(10);
    expect(many.worst.every((c) => c.accuracy === 0)).toBe(true);
    expect(many.classesSeen).toBe(30);
  });

  it('unreadable images are listed (escaped); the page is self-contained', () => {
    expect(rows(html, 'failed-table')).toEqual([
      'val/broken.JPEG Input buffer contains unsupported image format',
      'val/&lt;odd&gt;.JPEG VipsJpeg: premature end of JPEG file',
    ]);
    expect(html).not.toContain('<odd>');
    expect(html).toContain("default-src 'none'");
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(rows(html, 'setup-table')).toContain('mean 104, 117, 123');
  });

  it('without a published entry or names: says so, shows indices', () => {
    const r2 = { ...syntheticEval(), published: undefined, classes: 10 };
    const page = renderEvalPage(r2, { model: 'cifar', images: 'imgs', labels: 'l.txt' });
    expect(page).toContain('No published accuracy is known for this model.');
    expect(page).not.toContain('id="t-published"');
    expect(rows(page, 'pairs-table')[0]).toBe('3 60.00% 0 1');
    const named = renderEvalPage(r2, { model: 'cifar', images: 'imgs', labels: 'l.txt', classNames: ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'] });
    expect(rows(named, 'pairs-table')[0]).toBe('3 60.00% 0 airplane 1 automobile');
  });
});
