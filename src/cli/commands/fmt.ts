import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../errors';
import { caffeType, type NetParameter } from '../../schema';
import { printText } from '../../textformat';
import { parseNetTextRaw, parseNetTextWithInfo, readTextFileBytes } from '../../upgrade';
import { writeFileAtomic } from '../../atomic-write';
import { readStdin } from '../write-text';

interface FmtArgs {
  file: string;
  check: boolean;
  'in-place': boolean;
  upgrade: boolean;
}

const STDIN = '-';

/** `senet fmt FILE|-`: print a net definition the way Caffe prints it. */
export const fmtCommand: CommandModule<object, FmtArgs> = {
  command: 'fmt <file>',
  describe: 'print a net definition canonically (as Caffe writes prototxt); "-" reads stdin',
  builder: (y: Argv) =>
    y
      .positional('file', { type: 'string', demandOption: true, describe: 'prototxt, or - for stdin' })
      .option('check', { type: 'boolean', default: false, describe: 'print nothing; exit 1 if the file is not canonical' })
      .option('in-place', { alias: 'i', type: 'boolean', default: false, describe: 'rewrite the file (atomically)' })
      .option('upgrade', {
        type: 'boolean',
        default: true,
        describe: 'upgrade legacy formats first (--no-upgrade only reformats)',
      }) as unknown as Argv<FmtArgs>,
  handler: (args) => {
    // yargs-parser turns a lone "-" positional into "" (no file can have an empty name).
    const fromStdin = args.file === STDIN || args.file === '';
    // Checked here: yargs' conflicts() also fires for options left at their default.
    if (args.check && args['in-place']) throw new UsageError('--check and --in-place exclude each other');
    if (fromStdin && args['in-place']) throw new UsageError('--in-place needs a file, not stdin');
    const name = fromStdin ? '<stdin>' : args.file;
    const bytes = fromStdin ? readStdin() : readTextFileBytes(args.file);
    let net: NetParameter;
    if (args.upgrade) {
      const r = parseNetTextWithInfo(bytes, name);
      for (const w of r.warnings) process.stderr.write(`senet: warning: ${w}\n`);
      if (r.applied.length > 0) process.stderr.write(`senet: ${name}: upgraded (${r.applied.join(', ')})\n`);
      net = r.net;
    } else {
      net = parseNetTextRaw(bytes, name);
    }
    const text = printText(net, caffeType('NetParameter'));
    if (args.check) {
      if (Buffer.compare(Buffer.from(text, 'utf8'), Buffer.from(bytes)) !== 0) {
        process.stderr.write(`senet: ${name}: not canonical (senet fmt -i ${fromStdin ? 'FILE' : name} rewrites it)\n`);
        process.exitCode = 1;
      }
      return;
    }
    if (args['in-place']) writeFileAtomic(args.file, text);
    else process.stdout.write(text);
  },
};
