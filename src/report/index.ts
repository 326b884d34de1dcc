/** Human-facing reports on a net: the summary table and the self-contained HTML graph page. */
export { formatSummaryTable, shapeLabel, summarize, withSuffix, withThousands } from './summary';
export type { NetSummary, SummaryLayer, TableOptions } from './summary';
export { buildGraph, nameKey } from './graph';
export type { GraphEdge, GraphGroup, GraphNode, GroupKind, NetGraph } from './graph';
export { layoutDag } from './layout';
export type { Layout, LayoutEdge, LayoutNode, LayoutOptions } from './layout';
export { edgePath, renderNetPage, templatesDir } from './html';
export type { ShowOptions, ShowPage } from './html';
