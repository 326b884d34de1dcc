/** The typed net builder (NetSpec-like DSL). */
export { NetBuilder, Top, printNet } from './net-builder';
export type { AddOptions, LayerFields, Loose } from './net-builder';
export { stockAxpyLayers, stockScaleLayers } from './stock-axpy';
export type { StockScaleBlobs } from './stock-axpy';
export { portableNet } from './portable';
export type { PortableResult } from './portable';
