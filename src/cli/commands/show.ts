/** `senet show ID|FILE -o net.html`: the net as a self-contained, interactive HTML graph page. */
import type { Argv, CommandModule } from 'yargs';
import { renderNetPage, unknownNote } from '../../report';
import { netTargetOptions, resolveNetTarget, type NetTargetArgs } from '../net-target';
import { writeFileAtomic } from '../../atomic-write';
import { checkOutputFiles } from '../outputs';
import { commonOptions } from '../options';

interface ShowArgs extends NetTargetArgs {
  output: string;
  quiet?: boolean;
  json?: boolean;
}

export function runShow(a: ShowArgs): { bytes: number; ms: number } {
  const t0 = Date.now();
  checkOutputFiles([a.output], [a.target]);
  const r = resolveNetTarget(a);
  const page = renderNetPage(r.shapes, { source: r.source });
  writeFileAtomic(a.output, page.html, { inputs: [a.target] });
  const bytes = Buffer.byteLength(page.html);
  const ms = Date.now() - t0;
  const note = unknownNote(r.shapes.unknown);
  if (note !== undefined && !a.quiet && !a.json) process.stderr.write(`senet: note: ${note}\n`);
  if (a.json) {
    process.stdout.write(JSON.stringify({ output: a.output, source: r.source, layers: r.shapes.layers.length, nodes: page.graph.nodes.length, bytes, ms }, null, 2) + '\n');
  } else if (!a.quiet) {
    process.stderr.write(`senet: wrote ${a.output} (${r.shapes.layers.length} layers, ${page.graph.nodes.length} nodes, ${(bytes / 1024).toFixed(0)} KiB) in ${ms} ms\n`);
  }
  return { bytes, ms };
}

export const showCommand: CommandModule<object, ShowArgs> = {
  command: 'show <target>',
  describe: 'draw a net as one self-contained HTML page (SVG graph, shapes by Caffe rules, search, folding)',
  builder: (y: Argv) =>
    commonOptions(netTargetOptions(y), '{ output, source, layers, nodes, bytes, ms }')
      .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'HTML file to write (atomically)' })
      .example('$0 show senet-154 -o senet-154.html', 'an architecture ID')
      .example('$0 show deploy.prototxt -o net.html', 'a prototxt file') as unknown as Argv<ShowArgs>,
  handler: (a) => {
    runShow(a);
  },
};
