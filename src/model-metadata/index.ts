/** What a converted model records about itself (see metadata.ts). */
export * from './metadata';
