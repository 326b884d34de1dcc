/**
 * Jest environment for tests that run ONNX Runtime in-process: Jest's sandbox has its own typed
 * array constructors, and onnxruntime-common rejects the native binding's results (made with
 * Node's) as "not a Float32Array". Here the sandbox uses Node's own typed arrays, as plain Node
 * does. Use with the docblock `@jest-environment ./test/helpers/onnx-environment.js`.
 */
const { TestEnvironment } = require('jest-environment-node');

const TYPED = [
  'ArrayBuffer', 'SharedArrayBuffer', 'DataView', 'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array',
  'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
];

class OnnxEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of TYPED) if (globalThis[name] !== undefined) this.global[name] = globalThis[name];
  }
}

module.exports = OnnxEnvironment;
