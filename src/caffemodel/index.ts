/** Binary caffemodel I/O: reading (Float32Array views), writing, matching weights to a net. */
export { readCaffemodel, readBinaryproto, readBlobProtoVector, looksLikeText } from './read';
export { writeCaffemodel, writeCaffemodelV1, writeBinaryproto } from './write';
export type { WriteCaffemodelOptions } from './write';
export { matchWeights, shapeMatches } from './match';
export { v0TypeToV2, v1TypeToV2, v2TypeToV1 } from './types';
export type { BlobData, Caffemodel, CaffemodelFormat, LayerWeights, NetParameter } from './types';
