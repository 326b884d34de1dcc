/**
 * Typed errors. Every error a user can cause is a SenetError: the CLI prints its message on one
 * line and exits with its exit code, with no stack trace (unless --debug).
 */
import { displayText } from './display-text';
export class SenetError extends Error {
  /** Process exit code the CLI uses for this error: 1 failure, 2 usage. */
  readonly exitCode: number = 1;
  constructor(message: string) {
    // Messages quote input: bounded and with control/bidi characters escaped (see display-text).
    super(displayText(message));
    this.name = new.target.name;
  }
}

/** Bad command-line usage (exit 2). */
export class UsageError extends SenetError {
  override readonly exitCode = 2;
}

/** A position in a text file, 1-based line and column. */
export interface SourcePos {
  file: string;
  line: number;
  col: number;
}

/** Malformed text input (prototxt): carries file, line and column. */
export class TextFormatError extends SenetError {
  constructor(readonly pos: SourcePos, readonly detail: string) {
    super(`${pos.file}:${pos.line}:${pos.col}: ${detail}`);
  }
}

/** A well-formed net that is not valid Caffe (unknown bottom, bad param combination, ...). */
export class NetError extends SenetError {
  constructor(readonly layer: string | undefined, readonly detail: string) {
    super(layer === undefined ? detail : `layer '${layer}': ${detail}`);
  }
}

/** Weights that do not fit the net: names the layer and the blob. */
export class WeightsError extends SenetError {
  constructor(readonly layer: string, readonly blob: number | string | undefined, readonly detail: string) {
    super(`layer '${layer}'${blob === undefined ? '' : `, blob ${blob}`}: ${detail}`);
  }
}

/** A file that cannot be read or is not what it claims to be (binary garbage, truncated protobuf). */
export class InputFileError extends SenetError {
  constructor(readonly file: string, readonly detail: string) {
    super(`${file}: ${detail}`);
  }
}

/** Input data that does not fit the model (shape, value count): bad input, exit 1, not usage. */
export class InputMismatchError extends SenetError {}

/** A layer type the converter or shape inference does not support. */
export class UnsupportedLayerError extends SenetError {
  constructor(readonly layer: string, readonly layerType: string, readonly detail = 'is not supported') {
    super(`layer '${layer}' of type '${layerType}' ${detail}`);
  }
}
