/**
 * A small JUnit XML checker: a minimal well-formedness parser (elements, attributes, entities) and
 * the structure CI reporters expect: <testsuites>? > <testsuite name tests failures errors skipped
 * time> > (<properties>, <testcase classname name time> with at most one of <failure message>,
 * <error>, <skipped>), counts consistent with the testcases.
 */
interface El { name: string; attrs: Record<string, string>; children: El[]; text: string }

const ENT: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
function unescape(s: string): string {
  if (/&(?!(lt|gt|amp|quot|apos|#\d+|#x[0-9a-f]+);)/i.test(s)) throw new Error(`bad entity in ${s}`);
  return s.replace(/&(lt|gt|amp|quot|apos);/g, (_, e: string) => ENT[e]);
}

export function parseXml(xml: string): El {
  let i = 0;
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const root: El = { name: '#root', attrs: {}, children: [], text: '' };
  const stack: El[] = [root];
  while (i < body.length) {
    if (body.startsWith('</', i)) {
      const end = body.indexOf('>', i);
      const name = body.slice(i + 2, end).trim();
      const top = stack.pop()!;
      if (top.name !== name) throw new Error(`</${name}> closes <${top.name}>`);
      i = end + 1;
    } else if (body[i] === '<') {
      const m = /^<([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*="[^"<]*")*)\s*(\/?)>/.exec(body.slice(i));
      if (!m) throw new Error(`malformed tag at ${i}: ${body.slice(i, i + 40)}`);
      const attrs: Record<string, string> = {};
      for (const a of m[2].matchAll(/([A-Za-z_][\w.-]*)="([^"]*)"/g)) {
        if (a[1] in attrs) throw new Error(`duplicate attribute ${a[1]}`);
        attrs[a[1]] = unescape(a[2]);
      }
      const el: El = { name: m[1], attrs, children: [], text: '' };
      stack[stack.length - 1].children.push(el);
      if (m[3] !== '/') stack.push(el);
      i += m[0].length;
    } else {
      const next = body.indexOf('<', i);
      const t = body.slice(i, next < 0 ? body.length : next);
      if (t.includes('>')) throw new Error('raw > in text');
      stack[stack.length - 1].text += unescape(t);
      i = next < 0 ? body.length : next;
    }
  }
  if (stack.length !== 1) throw new Error(`unclosed <${stack[stack.length - 1].name}>`);
  if (root.children.length !== 1) throw new Error('not exactly one root element');
  return root.children[0];
}

export function checkJunit(xml: string): { tests: number; failures: number; errors: number; skipped: number; names: string[] } {
  const root = parseXml(xml);
  const suites = root.name === 'testsuites' ? root.children.filter((c) => c.name === 'testsuite') : [root];
  if (suites.length === 0 || suites[0].name !== 'testsuite') throw new Error('no <testsuite>');
  const total = { tests: 0, failures: 0, errors: 0, skipped: 0, names: [] as string[] };
  for (const s of suites) {
    for (const a of ['name', 'tests', 'failures', 'errors', 'skipped', 'time']) if (!(a in s.attrs)) throw new Error(`<testsuite> lacks ${a}`);
    const cases = s.children.filter((c) => c.name === 'testcase');
    for (const c of s.children) if (!['testcase', 'properties', 'system-out', 'system-err'].includes(c.name)) throw new Error(`unexpected <${c.name}>`);
    const count = { failures: 0, errors: 0, skipped: 0 };
    for (const c of cases) {
      for (const a of ['classname', 'name', 'time']) if (!(a in c.attrs)) throw new Error(`<testcase> lacks ${a}`);
      // system-out/system-err carry text beside the outcome (e.g. the rule that passed a blob).
      const outcomes = c.children.filter((o) => o.name !== 'system-out' && o.name !== 'system-err');
      if (outcomes.length > 1) throw new Error('a testcase with more than one outcome');
      for (const o of outcomes) {
        if (o.name === 'failure') count.failures++;
        else if (o.name === 'error') count.errors++;
        else if (o.name === 'skipped') count.skipped++;
        else throw new Error(`unexpected <${o.name}> in a testcase`);
        if (o.name !== 'skipped' && !('message' in o.attrs)) throw new Error(`<${o.name}> lacks message`);
      }
      total.names.push(c.attrs.name);
    }
    if (Number(s.attrs.tests) !== cases.length) throw new Error(`tests=${s.attrs.tests} but ${cases.length} testcases`);
    for (const k of ['failures', 'errors', 'skipped'] as const) if (Number(s.attrs[k]) !== count[k]) throw new Error(`${k}=${s.attrs[k]} but counted ${count[k]}`);
    if (!Number.isFinite(Number(s.attrs.time))) throw new Error('time is not a number');
    total.tests += cases.length;
    total.failures += count.failures;
    total.errors += count.errors;
    total.skipped += count.skipped;
  }
  if (root.name === 'testsuites') {
    for (const k of ['tests', 'failures', 'errors'] as const) if (k in root.attrs && Number(root.attrs[k]) !== total[k]) throw new Error(`<testsuites ${k}> inconsistent`);
  }
  return total;
}
