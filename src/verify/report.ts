/** Renderings of a ParityReport: a text table, a JSON document, JUnit XML. */
import type { BlobResult, ParityReport } from './compare';

function num(x: number): string {
  if (Number.isNaN(x)) return '-';
  if (!Number.isFinite(x)) return 'inf';
  return x === 0 ? '0' : x.toExponential(2);
}

function verdictText(r: BlobResult): string {
  switch (r.verdict) {
    case 'pass': return r.rule === 'float32-noise' ? 'ok (f32 noise)' : 'ok';
    case 'fail': return 'FAIL';
    case 'shape-mismatch': return 'FAIL (shape)';
    default: return 'skipped';
  }
}

function pad(s: string, n: number, right = false): string {
  return right ? s.padStart(n) : s.padEnd(n);
}

/** A distance from the float64 truth relative to the blob's max |reference|, as 'max rel err' reads. */
function truthRel(r: BlobResult, d: number | undefined): string {
  if (d === undefined) return '-';
  return num(r.refMax > 0 ? d / r.refMax : d);
}

/** The float32-noise rule in words, for the table's legend and JUnit. */
export function noiseRuleText(rep: ParityReport): string {
  const t = rep.truthRule;
  if (t === undefined) return '';
  return `f32 noise: out of tolerance against Caffe, but the model is no further from the float64 reference than ${t.noiseFactor} x Caffe's own distance ` +
    `(in units of the tolerance, Caffe's largest so far in net order; and within ${t.noiseCeiling} x the tolerance): float32 rounding, not a bug`;
}

/** The human-readable table plus the summary lines. */
export function formatParityTable(rep: ParityReport): string {
  const withTruth = rep.truthRule !== undefined;
  // Caffe's *_split_N copies are one line below the table, not a row each (64 on SENet-154).
  const splits = rep.results.filter((r) => r.splitOf !== undefined);
  const rows = rep.results.filter((r) => r.splitOf === undefined).map((r) => [
    r.blob,
    r.verdict === 'skipped' ? `[${r.refShape.join(',')}]` : `[${r.shape.join(',')}]`,
    num(r.maxAbsError),
    num(r.maxRelError),
    // Values: the floor is folded in, so that the column reads against 'max rel err'.
    r.verdict === 'skipped' ? '-' : `${r.kind === 'probabilities' || r.refMax === 0 ? 'abs' : 'rel'} ${num(r.kind === 'probabilities' || r.refMax === 0 ? r.bound : r.bound / r.refMax)}`,
    ...(withTruth ? [truthRel(r, r.truth?.model), truthRel(r, r.truth?.reference)] : []),
    verdictText(r),
  ]);
  // With a truth: the model's and Caffe's distances from the float64 values, relative like 'max rel err'.
  const head = ['blob', 'shape', 'max abs err', 'max rel err', 'tolerance', ...(withTruth ? ['model-f64 rel', 'caffe-f64 rel'] : []), 'verdict'];
  const numeric = (i: number): boolean => i === 2 || i === 3 || (withTruth && (i === 5 || i === 6));
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => pad(c, w[i], numeric(i))).join('  ').trimEnd();
  const out = [line(head), w.map((n) => '-'.repeat(n)).join('  ')];
  for (const r of rows) out.push(line(r));
  if (splits.length > 0) {
    const of = new Set(splits.map((r) => r.splitOf));
    out.push(`(${splits.length} split blob${splits.length === 1 ? '' : 's'} skipped: Caffe's *_split_N copies of ${of.size} blob${of.size === 1 ? '' : 's'}, not separate tensors in the model)`);
  }
  out.push('');
  for (const r of rep.results) {
    if (r.verdict === 'shape-mismatch') out.push(`shape mismatch: ${r.blob}: ${r.note}`);
    if (r.topK?.same === false) out.push(`top-${r.topK.k} differs: ${r.blob}: ${r.note}`);
  }
  if (rep.onlyInReference.length > 0) out.push(`in the reference but not in the model (${rep.onlyInReference.length}): ${rep.onlyInReference.join(', ')}`);
  if (rep.onlyInModel.length > 0) out.push(`in the model but not in the reference (${rep.onlyInModel.length}): ${rep.onlyInModel.join(', ')}`);
  if (rep.firstDivergence) {
    const { blob, layers } = rep.firstDivergence;
    const where = layers.length === 0
      ? `blob '${blob}'`
      : layers.length === 1
        ? `layer '${layers[0]}' (blob '${blob}')`
        : `layer '${layers[layers.length - 1]}' (blob '${blob}', written by ${layers.map((l) => `'${l}'`).join(', ')}; the error is in one of them)`;
    out.push(`first divergence: ${where}`);
    const first = rep.results.find((r) => r.blob === blob);
    if (first?.truth !== undefined) {
      out.push(
        `  vs the float64 reference: model ${truthRel(first, first.truth.model)}, Caffe ${truthRel(first, first.truth.reference)} (relative): ` +
          (first.truth.model > (rep.truthRule?.noiseFactor ?? 2) * first.truth.reference ? 'the model is off, not Caffe' : 'beyond what float32 rounding explains'),
      );
    }
  }
  if (withTruth) {
    out.push(noiseRuleText(rep));
    out.push(`${rep.noise} of ${rep.passed} passed blobs passed as float32 noise; ${rep.truthRule!.blobs} blobs had a float64 value`);
  }
  out.push(
    `${rep.ok ? 'PASS' : 'FAIL'}: ${rep.passed} passed${withTruth ? ` (${rep.noise} as float32 noise)` : ''}, ${rep.failed} failed, ${rep.skipped} skipped ` +
      `(values: abs-floor ${rep.absFloor} + rtol ${rep.rtol} of the blob's max magnitude; logits: rtol ${rep.rtol}; ` +
      `probabilities: atol ${rep.atol}, final ones the same top-5)`,
  );
  if (rep.passed + rep.failed === 0) out.push('no blob is in both the model and the reference: check the reference file names (blob name with / as __)');
  return out.join('\n') + '\n';
}

const jsonNum = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** A JSON-safe document for scripts (non-finite numbers become null). */
export function parityJson(rep: ParityReport): Record<string, unknown> {
  return {
    ok: rep.ok,
    passed: rep.passed,
    failed: rep.failed,
    skipped: rep.skipped,
    rtol: rep.rtol,
    atol: rep.atol,
    absFloor: rep.absFloor,
    noise: rep.noise,
    truthRule: rep.truthRule ?? null,
    firstDivergence: rep.firstDivergence ?? null,
    onlyInReference: rep.onlyInReference,
    onlyInModel: rep.onlyInModel,
    blobs: rep.results.map((r) => ({
      blob: r.blob,
      layers: r.layers,
      verdict: r.verdict,
      kind: r.kind,
      shape: r.shape,
      referenceShape: r.refShape,
      maxAbsError: jsonNum(r.maxAbsError),
      maxRelError: jsonNum(r.maxRelError),
      referenceMaxAbs: jsonNum(r.refMax),
      bound: jsonNum(r.bound),
      ...(r.rule ? { rule: r.rule } : {}),
      ...(r.truth
        ? { truth: { modelMaxAbs: jsonNum(r.truth.model), referenceMaxAbs: jsonNum(r.truth.reference), caffeNoiseSoFar: jsonNum(r.truth.caffeNoise ?? NaN) } }
        : {}),
      ...(r.topK ? { topK: r.topK } : {}),
      ...(r.note ? { note: r.note } : {}),
    })),
  };
}

/** XML 1.0 text/attribute escaping; characters XML 1.0 cannot carry at all are dropped. */
export function xmlEscape(s: string): string {
  return s
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

export interface JunitOptions {
  /** Suite name (e.g. the model). */
  suite: string;
  /** Seconds the whole run took. */
  seconds: number;
  timestamp?: Date;
}

/**
 * JUnit XML as Jenkins/GitLab/GitHub reporters read it: <testsuites> around one <testsuite> with
 * tests/failures/errors/skipped/time, one <testcase> per compared blob (classname = suite), a
 * <failure> carrying the numbers, <skipped> for split copies and for reference blobs the model
 * lacks.
 */
export function parityJunit(rep: ParityReport, opts: JunitOptions): string {
  const cls = xmlEscape(`parity.${opts.suite}`);
  const cases: string[] = [];
  for (const r of rep.results) {
    const name = xmlEscape(r.blob);
    const open = `    <testcase classname="${cls}" name="${name}" time="0">`;
    if (r.verdict === 'pass' && r.rule === 'float32-noise' && r.truth !== undefined) {
      // Passed, but say by which rule and with which distances.
      const msg = `float32 noise: max abs error ${num(r.maxAbsError)} > bound ${num(r.bound)} against Caffe; ` +
        `from the float64 reference: model ${num(r.truth.model)}, Caffe ${num(r.truth.reference)}`;
      cases.push(`${open}\n      <system-out>${xmlEscape(msg)}</system-out>\n    </testcase>`);
    } else if (r.verdict === 'pass') {
      cases.push(`    <testcase classname="${cls}" name="${name}" time="0"/>`);
    } else if (r.verdict === 'skipped') {
      cases.push(`${open}\n      <skipped message="${xmlEscape(r.note ?? 'skipped')}"/>\n    </testcase>`);
    } else {
      const msg = r.verdict === 'shape-mismatch'
        ? `shape mismatch: ${r.note}`
        : r.topK?.same === false && r.maxAbsError <= r.bound
          ? `top-${r.topK.k} classes differ: ${r.note}`
          : `max abs error ${num(r.maxAbsError)} > bound ${num(r.bound)} (max rel error ${num(r.maxRelError)}, reference max ${num(r.refMax)})`;
      const body = [
        `blob: ${r.blob}`,
        r.layers.length > 0 ? `layers: ${r.layers.join(', ')}` : undefined,
        `shape: [${r.shape.join(', ')}], reference [${r.refShape.join(', ')}]`,
        `kind: ${r.kind}`,
        `max abs error: ${r.maxAbsError}`,
        `max rel error: ${r.maxRelError}`,
        `reference max |x|: ${r.refMax}`,
        `bound: ${r.bound}`,
        r.topK ? `top-${r.topK.k}: ${r.topK.same ? 'same' : r.note}` : undefined,
        r.truth ? `from the float64 reference: model ${r.truth.model}, Caffe ${r.truth.reference}` : undefined,
        r.worstIndex >= 0 ? `worst element (C order): ${r.worstIndex}` : undefined,
      ].filter((x) => x !== undefined).join('\n');
      const type = r.verdict === 'shape-mismatch' ? 'ShapeMismatch' : 'ToleranceExceeded';
      cases.push(`${open}\n      <failure message="${xmlEscape(msg)}" type="${type}">${xmlEscape(body)}</failure>\n    </testcase>`);
    }
  }
  for (const b of rep.onlyInReference) {
    cases.push(`    <testcase classname="${cls}" name="${xmlEscape(b)}" time="0">\n      <skipped message="in the reference but not in the model"/>\n    </testcase>`);
  }
  const tests = rep.results.length + rep.onlyInReference.length;
  const skipped = rep.skipped + rep.onlyInReference.length;
  const time = opts.seconds.toFixed(3);
  const ts = (opts.timestamp ?? new Date()).toISOString().replace(/\.\d+Z$/, '');
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="senet parity" tests="${tests}" failures="${rep.failed}" errors="0" skipped="${skipped}" time="${time}">`,
    `  <testsuite name="${xmlEscape(opts.suite)}" tests="${tests}" failures="${rep.failed}" errors="0" skipped="${skipped}" time="${time}" timestamp="${ts}">`,
    `    <properties>\n      <property name="rtol" value="${rep.rtol}"/>\n      <property name="atol" value="${rep.atol}"/>\n      <property name="absFloor" value="${rep.absFloor}"/>` +
      (rep.truthRule
        ? `\n      <property name="noiseFactor" value="${rep.truthRule.noiseFactor}"/>\n      <property name="noiseCeiling" value="${rep.truthRule.noiseCeiling}"/>\n      <property name="float32Noise" value="${rep.noise}"/>`
        : '') +
      '\n    </properties>',
    ...cases,
    rep.onlyInModel.length > 0 ? `    <system-out>${xmlEscape(`in the model but not in the reference: ${rep.onlyInModel.join(', ')}`)}</system-out>` : undefined,
    '  </testsuite>',
    '</testsuites>',
  ].filter((x) => x !== undefined);
  return out.join('\n') + '\n';
}
