import type { Argv, CommandModule } from 'yargs';
import { caffeType } from '../../schema';
import { printText } from '../../textformat';
import { readNetTextWithInfo } from '../../upgrade';
import { writeFileAtomic } from '../../atomic-write';
import { checkOutputFiles } from '../outputs';
import { UsageError } from '../../errors';
import { commonOptions } from '../options';

interface UpgradeArgs {
  file: string;
  output?: string;
  quiet?: boolean;
  json?: boolean;
}

/** `senet upgrade FILE [-o OUT]`: what Caffe's upgrade_net_proto_text does, with typed errors. */
export const upgradeCommand: CommandModule<object, UpgradeArgs> = {
  command: 'upgrade <file>',
  describe: 'upgrade a V0/V1/legacy-input net definition to the current format (as Caffe does) and print it canonically',
  builder: (y: Argv) =>
    commonOptions(y, '{ file, output, upgraded, warnings } (with -o)')
      .positional('file', { type: 'string', demandOption: true, describe: 'prototxt to upgrade' })
      .option('output', { alias: 'o', type: 'string', describe: 'write here (atomically) instead of stdout' })
      .example('$0 upgrade old.prototxt -o new.prototxt', 'upgrade a V1 net') as unknown as Argv<UpgradeArgs>,
  handler: (args) => {
    checkOutputFiles([args.output], [args.file]);
    if (args.json && args.output === undefined) throw new UsageError('--json goes with -o FILE (otherwise stdout holds the net)');
    const { net, applied, warnings } = readNetTextWithInfo(args.file);
    if (!args.quiet) for (const w of warnings) process.stderr.write(`senet: warning: ${w}\n`);
    const text = printText(net, caffeType('NetParameter'));
    if (args.output !== undefined) writeFileAtomic(args.output, text, { inputs: [args.file] });
    else process.stdout.write(text);
    if (args.json) process.stdout.write(JSON.stringify({ file: args.file, output: args.output, upgraded: applied, warnings }, null, 2) + '\n');
    if (args.quiet || args.json) return;
    process.stderr.write(
      applied.length > 0
        ? `senet: ${args.file}: upgraded (${applied.join(', ')})\n`
        : `senet: ${args.file}: already in the current format; printed canonically\n`,
    );
  },
};
