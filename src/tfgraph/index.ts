export * from './attrs';
export * from './graph-builder';
export * from './write';
