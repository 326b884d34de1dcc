import type { CommandModule } from 'yargs';
import { benchCommand } from './bench';
import { fmtCommand } from './fmt';
import { convertCommand } from './convert';
import { generateCommand } from './generate';
import { initWeightsCommand } from './init-weights';
import { runCommand } from './run';
import { showCommand } from './show';
import { summaryCommand } from './summary';
import { upgradeCommand } from './upgrade';
import { parityCommand } from './parity';
import { evalCommand } from './eval';
import { predictCommand } from './predict';
import { referenceCommand } from './reference';
import { preprocessCommand } from './preprocess';
import { portableCommand } from './portable';

/** Every CLI command, one module each; the order is the order of `senet --help`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [generateCommand, fmtCommand, upgradeCommand, portableCommand, convertCommand, runCommand, benchCommand, summaryCommand, showCommand, initWeightsCommand, referenceCommand, parityCommand, evalCommand, predictCommand, preprocessCommand];
