/** The Caffe schema: loader, plain-object wire helpers and the generated message types. */
export {
  CAFFE_PACKAGE,
  CAFFE_PROTO_PATH,
  PLAIN_OBJECT_OPTIONS,
  caffeEnum,
  caffeEnumNames,
  caffeRoot,
  caffeType,
  decodeMessage,
  encodeMessage,
} from './schema';
export type { PlainMessage } from './schema';
export { layerParam, resolveMessage } from './resolve';
export * from './caffe.generated';
