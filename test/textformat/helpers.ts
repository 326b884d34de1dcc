import * as path from 'path';
import * as protobuf from 'protobufjs';
import { TextFormatError } from '../../src/errors';
import { parseText } from '../../src/textformat';

export const FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'textformat');

let root: protobuf.Root | undefined;

/** A message type of the grammar-test schema test/fixtures/textformat/test.proto. */
export function testType(name: string): protobuf.Type {
  if (!root) {
    root = new protobuf.Root().loadSync(path.join(FIXTURES, 'test.proto'), { keepCase: true });
    root.resolveAll();
  }
  return root.lookupType(`tftest.${name}`);
}

/** Parse and return the TextFormatError it must throw. */
export function parseError(text: string | Uint8Array, type: protobuf.Type, file = 'x.prototxt'): TextFormatError {
  try {
    parseText(text, type, file);
  } catch (e) {
    if (e instanceof TextFormatError) return e;
    throw e;
  }
  throw new Error(`expected a TextFormatError for ${JSON.stringify(String(text))}`);
}
