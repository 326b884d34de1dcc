export * from './backend';
export * from './load';
export * from './run';
export * from './npy';
export * from './pool';
export * from './bench';
export * from './onnx';
export * from './runner';
