/** The parity HTML report on a synthetic comparison: the numbers, the chart and the table it holds. */
import { compareBlobs, fmtErr, relativeBound, renderParityPage } from '../../src/verify';
import { arr, syntheticParity } from './synthetic-reports';

describe('parity HTML report', () => {
  const rep = syntheticParity();
  const html = renderParityPage(rep, { model: 'se-demo', input: 'x.npy', inputShape: [1, 3, 8, 8], reference: 'blobs/', backend: 'cpu', seconds: 1.25, date: new Date(0) });

  it('the synthetic comparison is what the test means it to be', () => {
    expect(rep.results.map((r) => `${r.blob}:${r.verdict}`)).toEqual([
      'conv1:pass', 'bn1:pass', 'relu1:fail', 'fc:shape-mismatch', 'prob:pass', 'conv1_conv1_0_split_0:skipped',
    ]);
    expect([rep.passed, rep.failed, rep.skipped, rep.ok]).toEqual([3, 2, 1, false]);
  });

  it('header: model, input, verdict and counts', () => {
    expect(html).toContain('<h1>se-demo</h1>');
    expect(html).toMatch(/id="t-verdict"><span class="verdict fail">FAIL</);
    expect(html).toContain('x.npy [1, 3, 8, 8]');
    expect(html).toMatch(/id="t-compared">5</);
    expect(html).toMatch(/id="t-passed">3</);
    expect(html).toMatch(/id="t-failed" class="bad">2</);
    expect(html).toMatch(/id="t-skipped">1</);
    expect(html).toContain('rtol 0.0001');
    expect(html).toMatch(/id="t-backend">cpu</);
  });

  it('calls out the first diverging layer with its numbers', () => {
    const relu = rep.results.find((r) => r.blob === 'relu1')!;
    expect(relu.maxRelError).toBeCloseTo(0.03 / 3, 6);
    const callout = /<div id="callout" class="callout fail">([^<]*)<\/div>/.exec(html)![1];
    expect(callout).toContain('layer relu1 (blob relu1)');
    expect(callout).toContain(`max relative error ${fmtErr(relu.maxRelError)}`);
    expect(callout).toContain('tolerance 1.00e-4');
    expect(callout).toContain('2 of 5 compared blobs fail');
  });

  it('the chart: one bar per compared blob on a log scale, failing ones highlighted, the tolerance line', () => {
    const svg = /<svg class="chart" id="error-chart"[\s\S]*?<\/svg>/.exec(html)![0];
    const bars = [...svg.matchAll(/<rect class="(bar[^"]*)" x="[^"]+" y="([^"]+)" width="[^"]+" height="([^"]+)"/g)];
    expect(bars.map((b) => b[1])).toEqual(['bar', 'bar', 'bar fail', 'bar fail inf', 'bar']);
    // Log scale: the decade grid labels, and bar heights ordered as the logs of the errors.
    expect(svg).toContain('>1e-4<');
    const top = bars.map((b) => Number(b[2]));
    // conv1 is exact (floor), bn1 ~1e-6, relu1 1e-2: higher error = smaller y.
    expect(top[0]).toBeGreaterThan(top[1]);
    expect(top[1]).toBeGreaterThan(top[2]);
    expect(top[3]).toBeLessThan(top[2]);
    const y = (v: number): number => {
      const g = [...svg.matchAll(/<text class="tick" x="[^"]+" y="([^"]+)" text-anchor="end">1e(-?\d+)</g)].map((m) => [Number(m[2]), Number(m[1]) - 3.5]);
      const [d0, y0] = g[0];
      const [d1, y1] = g[1];
      return y0 + ((Math.log10(v) - d0) * (y1 - y0)) / (d1 - d0);
    };
    const bn = rep.results.find((r) => r.blob === 'bn1')!;
    expect(Math.abs(top[1] - y(bn.maxRelError))).toBeLessThan(0.2);
    expect(svg).toMatch(/<line class="tol" [^>]*y1="([^"]+)"/);
    expect(Math.abs(Number(/<line class="tol" [^>]*y1="([^"]+)"/.exec(svg)![1]) - y(1e-4))).toBeLessThan(0.2);
    // The probability blob gets its own tolerance tick (atol / max): 1e-5 / 0.4.
    const own = /<line class="tol-own" [^>]*y1="([^"]+)"/.exec(svg)!;
    expect(Math.abs(Number(own[1]) - y(relativeBound(rep.results.find((r) => r.blob === 'prob')!)))).toBeLessThan(0.2);
    expect(svg).toContain('first divergence: relu1');
    expect([...svg.matchAll(/class="hit"/g)].length).toBe(5);
  });

  it('the table lists every blob with its errors and verdict; the lists of unmatched blobs follow', () => {
    const rows = [...html.matchAll(/<tr id="row(\d+)" class="([^"]*)">([\s\S]*?)<\/tr>/g)];
    expect(rows.length).toBe(6);
    const cells = (r: RegExpMatchArray): string[] => [...r[3].matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((m) => m[1].replace(/<[^>]+>/g, ''));
    const bn = rep.results[1];
    expect(cells(rows[1]).slice(1)).toEqual(['bn1', 'bn1, scale1', '[1, 2, 2, 2]', 'values', fmtErr(bn.maxAbsError), fmtErr(bn.maxRelError), 'rel 1.00e-4', 'ok']);
    expect(rows[2][2]).toBe('fail first');
    expect(cells(rows[3])[8]).toContain('FAIL (shape)');
    expect(cells(rows[3])[8]).toContain('model shape [1, 5] vs reference [1, 6]');
    expect(cells(rows[4]).slice(4, 8)).toEqual(['probabilities', fmtErr(rep.results[4].maxAbsError), fmtErr(rep.results[4].maxRelError), 'abs 1.00e-5']);
    expect(rows[5][2]).toBe('skipped');
    expect(html).toMatch(/id="only-ref">In the reference but not in the model \(1\): <span class="mono">extra_blob</);
    expect(html).toMatch(/id="only-model">In the model but not in the reference \(1\): <span class="mono">data</);
  });

  it('is self-contained: CSP default-src none, no external references, escaped names', () => {
    expect(html).toContain("default-src 'none'");
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(html).not.toMatch(/<link /);
    const tricky = compareBlobs([{ name: '<b>&x', layers: ['l"1'] }], new Map([['<b>&x', arr([2], (i) => i)]]), new Map([['<b>&x', arr([2], (i) => i)]]));
    const page = renderParityPage(tricky, { model: 'm<1>', input: 'i.npy', inputShape: [2], reference: 'r' });
    expect(page).not.toContain('<b>&x');
    expect(page).toContain('&lt;b&gt;&amp;x');
    expect(page).toMatch(/<span class="verdict pass">PASS</);
    expect(page).toContain('All 1 compared blobs are within tolerance');
  });
});
