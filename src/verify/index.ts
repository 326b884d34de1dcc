/** Verification: parity with real Caffe blob by blob, ImageNet-protocol evaluation, preprocessing, label orders. */
export * from './compare';
export * from './report';
export * from './parity';
export * from './truth';
export * from './labels';
export * from './preprocess';
export * from './protocols';
export * from './published';
export * from './eval';
export * from './parity-html';
export * from './eval-html';
export * from './eval-shard';
