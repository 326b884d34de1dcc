/** `senet portable NET.prototxt -o OUT.prototxt`: Axpy rewritten into stock layers (stock Caffe, OpenCV). */
import type { Argv, CommandModule } from 'yargs';
import { writeFileAtomic } from '../../atomic-write';
import { portableNet, printNet } from '../../builder';
import { headerComments } from '../../textformat';
import { readNetText, readTextFileBytes } from '../../upgrade';
import { commonOptions } from '../options';

interface PortableArgs {
  net: string;
  output: string;
  quiet?: boolean;
  json?: boolean;
}

export const portableCommand: CommandModule<object, PortableArgs> = {
  command: 'portable <net>',
  describe: "rewrite a net's Axpy layers (SENet release) into stock BVLC layers; the same caffemodel loads (same learnable layers)",
  builder: (y: Argv) =>
    commonOptions(y, '{ input, output, rewritten: [Axpy layer names] }')
      .positional('net', { type: 'string', demandOption: true, describe: 'net definition (prototxt; legacy formats are upgraded)' })
      .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'prototxt to write (atomically)' })
      .example('$0 portable SE-ResNet-50.prototxt -o SE-ResNet-50-portable.prototxt', 'runs on stock Caffe with SE-ResNet-50.caffemodel') as unknown as Argv<PortableArgs>,
  handler: (a) => {
    const { net, rewritten } = portableNet(readNetText(a.net));
    // Header comments (the release's `# mean_value` note) stay, as generate writes them.
    const comments = headerComments(Buffer.from(readTextFileBytes(a.net)).toString('utf8'));
    writeFileAtomic(a.output, printNet(net, comments));
    if (a.json) process.stdout.write(JSON.stringify({ input: a.net, output: a.output, rewritten }, null, 2) + '\n');
    else if (!a.quiet) {
      process.stderr.write(`senet: wrote ${a.output}: ${rewritten.length === 0 ? 'no Axpy layers, the net as is' : `${rewritten.length} Axpy layer${rewritten.length === 1 ? '' : 's'} rewritten into Reshape + Scale + Eltwise`}\n`);
    }
  },
};
