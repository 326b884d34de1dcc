/**
 * Reading a net definition (prototxt): parse as NetParameter, then upgrade legacy formats. Every
 * reader in the project goes through here, so V0/V1/input-field nets work everywhere.
 */
import { INPUT_LIMITS, readInputFile } from '../input-file';
import { caffeType, type NetParameter } from '../schema';
import { parseText } from '../textformat';
import { upgradeNet, type UpgradeResult } from './upgrade';

/** Parse text (or UTF-8 bytes) as a NetParameter without upgrading it. `file` names it in errors. */
export function parseNetTextRaw(text: string | Uint8Array, file: string): NetParameter {
  return parseText<NetParameter>(text, caffeType('NetParameter'), file);
}

/** Parse and upgrade, also reporting which upgrades ran and what Caffe would have warned about. */
export function parseNetTextWithInfo(text: string | Uint8Array, file: string): UpgradeResult {
  return upgradeNet(parseNetTextRaw(text, file), file);
}

/** Parse text as a NetParameter and upgrade it to the current format. */
export function parseNetText(text: string | Uint8Array, file: string): NetParameter {
  return parseNetTextWithInfo(text, file).net;
}

/** The bytes of a text file; InputFileError (naming the path) when it cannot be read. */
export function readTextFileBytes(path: string): Uint8Array {
  return readInputFile(path, INPUT_LIMITS.text, 'a prototxt file');
}

/** Read a prototxt file, parse it as a NetParameter and upgrade it (with the upgrade report). */
export function readNetTextWithInfo(path: string): UpgradeResult {
  return parseNetTextWithInfo(readTextFileBytes(path), path);
}

/** Read a prototxt file, parse it as a NetParameter and upgrade it to the current format. */
export function readNetText(path: string): NetParameter {
  return readNetTextWithInfo(path).net;
}
