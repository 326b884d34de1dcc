import yargs, { type Argv, type CommandModule } from 'yargs';
import { SenetError, TextFormatError, UsageError } from '../errors';
import { commands } from './commands';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const pkg = require('../../package.json') as { version: string };

/** Exit codes: 0 ok, 1 failure, 2 usage. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** The exit-code contract every command keeps, as --help states it. */
export const EXIT_CODES_TEXT =
  'Exit status: 0 done; 1 bad input or a failed check (parity, eval, predict, fmt --check); 2 usage error. ' +
  'Killed by a signal: 128 + its number.';

/** Prints one line for an error; a stack trace only for internal errors under --debug. */
export function reportError(err: unknown, debug: boolean): number {
  if (err instanceof SenetError) {
    // Positioned errors keep the FILE:LINE:COL: prefix first, as compilers do, so editors can jump there.
    process.stderr.write(err instanceof TextFormatError ? `${err.message}\n` : `senet: ${err.message}\n`);
    if (debug && err.stack) process.stderr.write(`${err.stack}\n`);
    return err.exitCode;
  }
  const e = err instanceof Error ? err : new Error(String(err));
  process.stderr.write(`senet: internal error: ${e.message}${debug ? '' : ' (run with --debug for details)'}\n`);
  if (debug && e.stack) process.stderr.write(`${e.stack}\n`);
  return EXIT_FAILURE;
}

export function buildParser(argv: string[]): Argv {
  let parser = yargs(argv)
    .scriptName('senet')
    .usage('$0 <command> [options]\n\nSqueeze-and-Excitation networks and Caffe-era relatives: generate prototxt, convert caffemodels to TensorFlow.js, verify parity.')
    .option('debug', { type: 'boolean', default: false, describe: 'print stack traces for errors' })
    .version(pkg.version)
    .alias('h', 'help')
    .strict()
    .demandCommand(1, 'name a command (senet --help lists them)')
    .epilog(EXIT_CODES_TEXT)
    .recommendCommands()
    .wrap(Math.min(110, process.stdout.columns || 100))
    .exitProcess(false)
    .fail((msg: string | undefined, err: Error | undefined) => {
      if (err) throw err;
      // yargs' suggestion alone ("Did you mean fmt?") does not say what was wrong.
      if (msg?.startsWith('Did you mean')) throw new UsageError(`unknown command '${argv[0]}'. ${msg}`);
      // One line, as every error (yargs puts "Invalid values:" and the details on lines of their own).
      throw new UsageError((msg ?? 'bad usage (see senet --help)').trim().replace(/\s*\n\s*/g, ' '));
    });
  for (const cmd of commands) parser = parser.command(cmd as CommandModule);
  return parser;
}

/** Entry point for bin/senet.js. Sets process.exitCode rather than exiting, so output flushes. */
export async function main(argv: string[]): Promise<void> {
  const debug = argv.includes('--debug');
  try {
    await buildParser(argv).parseAsync();
  } catch (err) {
    process.exitCode = reportError(err, debug);
  }
}
