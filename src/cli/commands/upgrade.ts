import type { Argv, CommandModule } from 'yargs';
import { caffeType } from '../../schema';
import { printText } from '../../textformat';
import { readNetTextWithInfo } from '../../upgrade';
import { writeFileAtomic } from '../../atomic-write';
import { checkOutputFiles } from '../outputs';

interface UpgradeArgs {
  file: string;
  output?: string;
}

/** `senet upgrade FILE [-o OUT]`: what Caffe's upgrade_net_proto_text does, with typed errors. */
export const upgradeCommand: CommandModule<object, UpgradeArgs> = {
  command: 'upgrade <file>',
  describe: 'upgrade a V0/V1/legacy-input net definition to the current format (as Caffe does) and print it canonically',
  builder: (y: Argv) =>
    y
      .positional('file', { type: 'string', demandOption: true, describe: 'prototxt to upgrade' })
      .option('output', { alias: 'o', type: 'string', describe: 'write here (atomically) instead of stdout' })
      .example('$0 upgrade old.prototxt -o new.prototxt', 'upgrade a V1 net') as unknown as Argv<UpgradeArgs>,
  handler: (args) => {
    checkOutputFiles([args.output], [args.file]);
    const { net, applied, warnings } = readNetTextWithInfo(args.file);
    for (const w of warnings) process.stderr.write(`senet: warning: ${w}\n`);
    const text = printText(net, caffeType('NetParameter'));
    if (args.output !== undefined) writeFileAtomic(args.output, text, { inputs: [args.file] });
    else process.stdout.write(text);
    process.stderr.write(
      applied.length > 0
        ? `senet: ${args.file}: upgraded (${applied.join(', ')})\n`
        : `senet: ${args.file}: already in the current format; printed canonically\n`,
    );
  },
};
