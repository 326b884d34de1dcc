/** Caffe's shape of a blob; a -1 entry is a dimension only data can tell (see data.ts). */
export type Shape = number[];
