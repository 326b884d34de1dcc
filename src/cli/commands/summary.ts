/** `senet summary ID|FILE`: per-layer output shapes, parameters and multiply-adds, with totals. */
import type { Argv, CommandModule } from 'yargs';
import { inputBlobs } from '../../layers';
import { formatSummaryTable, shapeLabel, summarize } from '../../report';
import { netTargetOptions, resolveNetTarget, type NetTargetArgs } from '../net-target';
import { commonOptions } from '../options';

interface SummaryArgs extends NetTargetArgs {
  json?: boolean;
  quiet?: boolean;
  totals?: boolean;
}

export function runSummary(a: SummaryArgs, out: (s: string) => void = (s) => process.stdout.write(s)): void {
  const r = resolveNetTarget(a);
  const s = summarize(r.shapes);
  if (a.json) {
    out(JSON.stringify(s, null, 2) + '\n');
    return;
  }
  const inputs = inputBlobs(r.shapes).map(([name, shape]) => `${name} ${shapeLabel(shape)}`);
  out(formatSummaryTable(s, {
      heading: [`input: ${inputs.join(', ') || '-'}   phase: ${r.phase}   source: ${r.source}`],
      totalsOnly: a.totals === true,
    }));
}

export const summaryCommand: CommandModule<object, SummaryArgs> = {
  command: 'summary <target>',
  describe: 'per-layer output shapes (Caffe rules), parameters and multiply-adds, with totals',
  builder: (y: Argv) =>
    commonOptions(netTargetOptions(y), '{ name, params, macs, layers: [{ name, type, tops, shape, params, macs }] }')
      .option('totals', { type: 'boolean', describe: 'print only the totals (no per-layer rows)' })
      .example('$0 summary se-resnet-50', 'the table for an architecture ID')
      .example('$0 summary SENet-154.prototxt --json', 'a prototxt file, as JSON') as unknown as Argv<SummaryArgs>,
  handler: (a) => runSummary(a),
};
