/** Binary caffemodel I/O: reading (Float32Array views, or an index and streamed payloads), writing, matching weights to a net. */
export { readCaffemodel, indexCaffemodel, readBinaryproto, readBlobProtoVector, looksLikeText } from './read';
export { readBlobInto, PayloadReader } from './payload';
export { writeCaffemodel, writeCaffemodelV1, writeBinaryproto } from './write';
export type { WriteCaffemodelOptions } from './write';
export { checkDuplicateWeightedLayers, matchWeights, shapeMatches, unusedWeights, type UnusedWeights } from './match';
export { v0TypeToV2, v1TypeToV2, v2TypeToV1 } from './types';
export type { BlobData, BlobRef, Caffemodel, CaffemodelFormat, CaffemodelIndex, LayerIndex, LayerWeights, NetParameter, PayloadChunk } from './types';
