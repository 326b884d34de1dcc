/**
 * `senet parity --html`: a ParityReport as one self-contained page in the style of the net page:
 * header with the verdict and counts, the first divergence called out, a log-scale SVG chart of
 * each blob's max relative error against its tolerance, and the full (sortable) table.
 */
import { esc, pageCss, rawTemplate, renderTemplate, safeHtml, scriptJson } from '../report';
import type { BlobResult, ParityReport } from './compare';

export interface ParityPageInfo {
  /** The model: a folder, or the prototxt (with its caffemodel). */
  model: string;
  /** The input file. */
  input: string;
  inputShape: readonly number[];
  /** The reference folder or .npz. */
  reference: string;
  backend?: string;
  seconds?: number;
  /** When the run happened (default now). */
  date?: Date;
}

/** Numbers as the text report prints them: 3 significant digits, '-' for none, 'inf'. */
export function fmtErr(x: number): string {
  if (Number.isNaN(x)) return '-';
  if (!Number.isFinite(x)) return 'inf';
  return x === 0 ? '0' : x.toExponential(2);
}

/**
 * The relative bound a blob is held to: rtol for ordinary blobs; for probability and all-zero
 * blobs the absolute bound over the reference's magnitude, so that maxRelError <= this exactly
 * when maxAbsError <= bound.
 */
export function relativeBound(r: BlobResult): number {
  if (!Number.isFinite(r.bound)) return NaN;
  return r.refMax > 0 ? r.bound / r.refMax : r.bound;
}

const failed = (r: BlobResult): boolean => r.verdict === 'fail' || r.verdict === 'shape-mismatch';

const noise = (r: BlobResult): boolean => r.verdict === 'pass' && r.rule === 'float32-noise';

function verdictLabel(r: BlobResult): string {
  switch (r.verdict) {
    case 'pass': return noise(r) ? 'ok (f32 noise)' : 'ok';
    case 'fail': return 'FAIL';
    case 'shape-mismatch': return 'FAIL (shape)';
    default: return 'skipped';
  }
}

function where(blob: string, layers: readonly string[]): string {
  if (layers.length === 0) return `blob ${blob}`;
  return `layer ${layers[layers.length - 1]} (blob ${blob})`;
}

const CHART_H = 300;
const M = { left: 58, right: 74, top: 22, bottom: 34 };

/** The log-scale error chart as SVG markup; `rowId(i)` names the table row of results[i]. */
export function parityChart(rep: ParityReport, rowId: (i: number) => string): { svg: string; points: number[] } {
  const points = rep.results.map((r, i) => ({ r, i })).filter((p) => p.r.verdict !== 'skipped');
  const n = points.length;
  const plotW = Math.max(640, Math.min(2400, n * 6));
  const W = plotW + M.left + M.right;
  const H = CHART_H;
  const plotH = H - M.top - M.bottom;
  const out: string[] = [`<svg class="chart" id="error-chart" xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="max relative error per blob, log scale">`];
  if (n === 0) {
    out.push(`<text class="axis-label" x="${W / 2}" y="${H / 2}" text-anchor="middle">no blob compared</text></svg>`);
    return { svg: out.join(''), points: [] };
  }
  // Decades shown: from below the smallest non-zero error or bound to above the largest.
  const logs: number[] = [];
  for (const { r } of points) {
    if (r.maxRelError > 0 && Number.isFinite(r.maxRelError)) logs.push(Math.log10(r.maxRelError));
    const t = relativeBound(r);
    if (t > 0) logs.push(Math.log10(t));
  }
  logs.push(Math.log10(rep.rtol));
  let lo = Math.floor(Math.min(...logs)) - 1;
  let hi = Math.floor(Math.max(...logs)) + 1;
  if (hi - lo < 3) lo = hi - 3;
  lo = Math.max(lo, -16);
  hi = Math.max(hi, lo + 1);
  const hasInf = points.some(({ r }) => !Number.isFinite(r.maxRelError));
  // Infinite errors (shape mismatch, NaN) get a band above the top decade.
  const infBand = hasInf ? 18 : 0;
  const y = (v: number): number => {
    const l = v > 0 ? Math.min(hi, Math.max(lo, Math.log10(v))) : lo;
    return M.top + infBand + (plotH - infBand) * (1 - (l - lo) / (hi - lo));
  };
  const step = plotW / n;
  const barW = Math.max(1, Math.min(14, step * 0.72));
  const cx = (k: number): number => M.left + (k + 0.5) * step;
  const base = M.top + plotH;
  const f1 = (v: number): string => (Math.round(v * 10) / 10).toString();

  for (let d = lo; d <= hi; d++) {
    const yy = f1(y(10 ** d));
    out.push(`<line class="grid" x1="${M.left}" x2="${M.left + plotW}" y1="${yy}" y2="${yy}"/>`);
    out.push(`<text class="tick" x="${M.left - 6}" y="${f1(y(10 ** d) + 3.5)}" text-anchor="end">1e${d}</text>`);
  }
  if (hasInf) out.push(`<text class="tick" x="${M.left - 6}" y="${M.top + 10}" text-anchor="end">inf</text>`);
  out.push(`<line class="axis" x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${base}"/><line class="axis" x1="${M.left}" x2="${M.left + plotW}" y1="${base}" y2="${base}"/>`);
  out.push(`<text class="axis-label" x="${M.left + plotW / 2}" y="${H - 8}" text-anchor="middle">${n} blobs in topological order</text>`);
  out.push(`<text class="axis-label" transform="translate(14,${M.top + plotH / 2}) rotate(-90)" text-anchor="middle">max relative error</text>`);
  // Index ticks: about ten along the axis.
  const every = Math.max(1, Math.ceil(n / 10));
  for (let k = 0; k < n; k += every) out.push(`<text class="tick" x="${f1(cx(k))}" y="${base + 13}" text-anchor="middle">${k + 1}</text>`);

  out.push('<g id="bars">');
  points.forEach(({ r }, k) => {
    const inf = !Number.isFinite(r.maxRelError);
    const top = inf ? M.top : y(r.maxRelError);
    const h = Math.max(1.5, base - top);
    const cls = `bar${failed(r) ? ' fail' : ''}${noise(r) ? ' noise' : ''}${inf ? ' inf' : ''}`;
    out.push(`<rect class="${cls}" x="${f1(cx(k) - barW / 2)}" y="${f1(base - h)}" width="${f1(barW)}" height="${f1(h)}"/>`);
  });
  out.push('</g><g id="tolerances">');
  const ty = f1(y(rep.rtol));
  out.push(`<line class="tol" x1="${M.left}" x2="${M.left + plotW}" y1="${ty}" y2="${ty}"/>`);
  out.push(`<text class="tol-label" x="${M.left + plotW + 6}" y="${f1(y(rep.rtol) + 3.5)}">rtol ${rep.rtol}</text>`);
  points.forEach(({ r }, k) => {
    const t = relativeBound(r);
    // Only a visibly different bound (over 1 %) gets its own tick: probabilities, all-zero blobs, small blobs under an absolute floor.
    if (!(t > 0) || Math.abs(Math.log10(t) - Math.log10(rep.rtol)) < 0.0043) return;
    const yy = f1(y(t));
    out.push(`<line class="tol-own" x1="${f1(cx(k) - step / 2)}" x2="${f1(cx(k) + step / 2)}" y1="${yy}" y2="${yy}"/>`);
  });
  out.push('</g>');
  if (rep.firstDivergence) {
    const k = points.findIndex(({ r }) => r.blob === rep.firstDivergence!.blob && failed(r));
    if (k >= 0) {
      const x = f1(cx(k));
      const right = k < n / 2;
      out.push(`<line class="first" x1="${x}" x2="${x}" y1="${M.top - 8}" y2="${base}"/>`);
      out.push(`<text class="first-label" x="${f1(cx(k) + (right ? 5 : -5))}" y="${M.top - 10}" text-anchor="${right ? 'start' : 'end'}">first divergence: ${esc(rep.firstDivergence.blob)}</text>`);
    }
  }
  out.push('<g id="hits">');
  points.forEach(({ i }, k) => {
    out.push(`<rect class="hit" data-i="${k}" data-row="${rowId(i)}" x="${f1(cx(k) - step / 2)}" y="${M.top}" width="${f1(step)}" height="${plotH}"/>`);
  });
  out.push('</g></svg>');
  return { svg: out.join(''), points: points.map((p) => p.i) };
}

/** The whole page. */
export function renderParityPage(rep: ParityReport, info: ParityPageInfo): string {
  const rowId = (i: number): string => `row${i + 1}`;
  const chart = parityChart(rep, rowId);
  const compared = rep.passed + rep.failed;
  const shape = (r: BlobResult): string => `[${(r.verdict === 'skipped' ? r.refShape : r.shape).join(', ')}]`;
  const v = (x: number): string => (Number.isNaN(x) ? 'NaN' : String(x));

  let callout: string;
  if (rep.firstDivergence) {
    const r = rep.results.find((x) => x.blob === rep.firstDivergence!.blob && failed(x))!;
    const written = rep.firstDivergence.layers.length > 1 ? `; written in place by ${rep.firstDivergence.layers.join(', ')}, the error is in one of them` : '';
    // A blob may also fail on its ranking (final probabilities' top-k) while within its bound.
    const topK = (r as { topK?: { k: number; same: boolean } }).topK;
    callout = r.verdict === 'shape-mismatch'
      ? `First divergence at ${where(r.blob, r.layers)}: ${r.note ?? 'shape mismatch'}${written}.`
      : topK?.same === false && r.maxAbsError <= r.bound
        ? `First divergence at ${where(r.blob, r.layers)}: the top-${topK.k} classes differ from Caffe's (${r.note ?? ''}), ` +
          `though the max relative error ${fmtErr(r.maxRelError)} is within tolerance ${fmtErr(relativeBound(r))}${written}. ${rep.failed} of ${compared} compared blobs fail.`
        : `First divergence at ${where(r.blob, r.layers)}: max relative error ${fmtErr(r.maxRelError)} > tolerance ${fmtErr(relativeBound(r))} ` +
        `(max abs error ${fmtErr(r.maxAbsError)}, bound ${fmtErr(r.bound)})${written}. ${rep.failed} of ${compared} compared blobs fail.`;
  } else if (rep.ok) {
    const worst = rep.results.filter((r) => r.verdict === 'pass').reduce((a, b) => (b.maxRelError / relativeBound(b) > a.maxRelError / relativeBound(a) ? b : a));
    callout = rep.noise > 0
      ? `All ${compared} compared blobs pass: ${compared - rep.noise} within tolerance, ${rep.noise} out of tolerance against Caffe but float32 noise ` +
        `(the model no further from the float64 reference than ${rep.truthRule?.noiseFactor ?? '?'} x Caffe's own distance). Largest error: ${where(worst.blob, worst.layers)}, ` +
        `max relative error ${fmtErr(worst.maxRelError)} (tolerance ${fmtErr(relativeBound(worst))}).`
      : `All ${compared} compared blobs are within tolerance. Closest to its bound: ${where(worst.blob, worst.layers)}, ` +
        `max relative error ${fmtErr(worst.maxRelError)} (tolerance ${fmtErr(relativeBound(worst))}).`;
  } else {
    callout = 'No blob is in both the model and the reference: check the reference file names (blob name with / as __).';
  }

  // Distances from the float64 truth, relative to the reference's max like 'max rel err'.
  const truthRel = (r: BlobResult, d: number | undefined): number => (d === undefined ? NaN : r.refMax > 0 ? d / r.refMax : d);
  const rows = rep.results.map((r, i) => ({
    i: i + 1,
    cls: [failed(r) ? 'fail' : r.verdict === 'skipped' ? 'skipped' : noise(r) ? 'pass noise' : 'pass', rep.firstDivergence?.blob === r.blob && failed(r) ? 'first' : ''].join(' ').trim(),
    blob: r.blob,
    layer: r.layers.join(', '),
    shape: shape(r),
    kind: r.verdict === 'skipped' ? '-' : r.kind,
    abs: fmtErr(r.maxAbsError),
    absV: v(r.maxAbsError),
    rel: fmtErr(r.maxRelError),
    relV: v(r.maxRelError),
    tol: r.verdict === 'skipped' ? '-' : `${r.kind === 'probabilities' || r.refMax === 0 ? 'abs' : 'rel'} ${fmtErr(r.kind === 'probabilities' || r.refMax === 0 ? r.bound : r.bound / r.refMax)}`,
    tolV: v(relativeBound(r)),
    verdict: verdictLabel(r),
    note: r.note ?? '',
    modelTruth: fmtErr(truthRel(r, r.truth?.model)),
    modelTruthV: v(truthRel(r, r.truth?.model)),
    caffeTruth: fmtErr(truthRel(r, r.truth?.reference)),
    caffeTruthV: v(truthRel(r, r.truth?.reference)),
  }));

  const points = chart.points.map((i) => {
    const r = rep.results[i];
    return {
      title: r.blob,
      sub: verdictLabel(r),
      rows: [
        ...(r.layers.length > 0 ? [['layer', r.layers.join(', ')]] : []),
        ['shape', shape(r)],
        ...(r.verdict === 'shape-mismatch' ? [['reference shape', `[${r.refShape.join(', ')}]`]] : []),
        ['kind', r.kind],
        ['max abs error', fmtErr(r.maxAbsError)],
        ['max rel error', fmtErr(r.maxRelError)],
        ['tolerance (rel)', fmtErr(relativeBound(r))],
        ['reference max |x|', fmtErr(r.refMax)],
        ...(r.truth !== undefined
          ? [['model - float64 (rel)', fmtErr(truthRel(r, r.truth.model))], ['Caffe - float64 (rel)', fmtErr(truthRel(r, r.truth.reference))], ['rule', r.rule ?? '-']]
          : []),
      ],
    };
  });

  const date = (info.date ?? new Date()).toISOString().replace(/\.\d+Z$/, 'Z');
  const footer = `senet parity · reference ${info.reference} · ${date}${info.seconds !== undefined ? ` · ${info.seconds.toFixed(1)} s` : ''}. ` +
    "Errors are max |model - Caffe| over the blob, relative to the reference's largest magnitude; probability blobs are held to an absolute bound." +
    (rep.truthRule !== undefined
      ? ' Model-f64 and Caffe-f64: distances from the float64 values of senet-caffe\'s own reference kernels (not Caffe\'s), relative to the same magnitude.'
      : '');
  return renderTemplate('parity.html.hbs', {
    title: `${info.model} · senet parity`,
    css: pageCss('report.css'),
    script: rawTemplate('report.js'),
    model: info.model,
    verdict: rep.ok ? 'PASS' : 'FAIL',
    verdictClass: rep.ok ? 'pass' : 'fail',
    input: `${info.input} [${info.inputShape.join(', ')}]`,
    compared,
    passed: rep.passed,
    failed: rep.failed,
    skipped: rep.skipped,
    rtol: rep.rtol,
    atol: rep.atol,
    // Reports from engines with an absolute floor under the relative bound show it.
    absFloor: (rep as { absFloor?: number }).absFloor ?? false,
    truth: rep.truthRule !== undefined,
    noise: rep.noise,
    noiseFactor: rep.truthRule?.noiseFactor ?? '',
    noiseCeiling: rep.truthRule?.noiseCeiling ?? '',
    backend: info.backend ?? '',
    callout,
    chart: safeHtml(chart.svg),
    rows,
    onlyInReference: rep.onlyInReference,
    onlyInModel: rep.onlyInModel,
    footer,
    data: scriptJson({ points }),
  });
}
