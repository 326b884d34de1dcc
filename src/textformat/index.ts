/**
 * Protobuf text format ("prototxt") for any protobufjs message type: parse to plain objects
 * and print exactly as Caffe (C++ protobuf 3.12) prints.
 */
export { parseText } from './parser';
export type { TextMessage, TextValue } from './parser';
export { printText, cEscape } from './printer';
export { headerComments } from './comments';
export { formatG, simpleFtoa, simpleDtoa, strtof } from './numfmt';
