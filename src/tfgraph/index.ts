export * from './attrs';
export * from './graph-builder';
export * from './metadata';
export * from './write';
