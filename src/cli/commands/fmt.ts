import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../errors';
import { printNet } from '../../builder';
import type { NetParameter } from '../../schema';
import { headerComments } from '../../textformat';
import { commonOptions } from '../options';
import { parseNetTextRaw, parseNetTextWithInfo, readTextFileBytes } from '../../upgrade';
import { writeFileAtomic } from '../../atomic-write';
import { readStdin } from '../write-text';

interface FmtArgs {
  file: string;
  check: boolean;
  'in-place': boolean;
  upgrade: boolean;
  quiet?: boolean;
  json?: boolean;
}

const STDIN = '-';

/** `senet fmt FILE|-`: print a net definition the way Caffe prints it. */
export const fmtCommand: CommandModule<object, FmtArgs> = {
  command: 'fmt <file>',
  describe: 'print a net definition canonically (as Caffe writes prototxt; --check also accepts header comments after the name line); "-" reads stdin',
  builder: (y: Argv) =>
    commonOptions(y, '{ file, canonical, upgraded, written } (with --check or -i)')
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
    if (args.json && !args.check && !args['in-place']) throw new UsageError('--json goes with --check or --in-place (otherwise stdout holds the net)');
    const say = (s: string): void => {
      if (!args.quiet && !args.json) process.stderr.write(s);
    };
    const name = fromStdin ? '<stdin>' : args.file;
    const bytes = fromStdin ? readStdin() : readTextFileBytes(args.file);
    let net: NetParameter;
    let applied: readonly string[] = [];
    if (args.upgrade) {
      const r = parseNetTextWithInfo(bytes, name);
      for (const w of r.warnings) if (!args.quiet) process.stderr.write(`senet: warning: ${w}\n`);
      if (r.applied.length > 0) say(`senet: ${name}: upgraded (${r.applied.join(', ')})\n`);
      applied = r.applied;
      net = r.net;
    } else {
      net = parseNetTextRaw(bytes, name);
    }
    const text = printNet(net);
    const same = (t: string): boolean => Buffer.compare(Buffer.from(t, 'utf8'), Buffer.from(bytes)) === 0;
    // Canonical: Caffe's print, or that print with the header comments right after the name line,
    // as the official files and `senet generate` have them (-i leaves such a file alone).
    const comments = headerComments(Buffer.from(bytes).toString('utf8'));
    const canonical = same(text) || (comments.length > 0 && same(printNet(net, comments)));
    const report = (written: boolean): void => {
      if (args.json) process.stdout.write(JSON.stringify({ file: name, canonical, upgraded: applied, written }, null, 2) + '\n');
    };
    if (args.check) {
      if (!canonical) {
        say(`senet: ${name}: not canonical (senet fmt -i ${fromStdin ? 'FILE' : name} rewrites it)\n`);
        process.exitCode = 1;
      }
      report(false);
      return;
    }
    if (args['in-place']) {
      if (!canonical) writeFileAtomic(args.file, text);
      say(canonical ? `senet: ${name}: already canonical\n` : `senet: ${name}: rewritten\n`);
      report(!canonical);
    } else process.stdout.write(text);
  },
};
