/** The typed net builder (NetSpec-like DSL). */
export { NetBuilder, Top, printNet } from './net-builder';
export type { AddOptions, LayerFields, Loose } from './net-builder';
