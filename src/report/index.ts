/** Human-facing reports on a net: the summary table, the self-contained HTML graph page, and what all senet pages share. */
export { formatSummaryTable, shapeLabel, summarize, unknownNote, withSuffix, withThousands } from './summary';
export type { NetSummary, SummaryLayer, TableOptions } from './summary';
export { buildGraph, nameKey } from './graph';
export type { GraphEdge, GraphGroup, GraphNode, GroupKind, NetGraph } from './graph';
export { layoutDag } from './layout';
export type { Layout, LayoutEdge, LayoutNode, LayoutOptions } from './layout';
export { edgePath, renderNetPage } from './html';
export { esc, pageCss, rawTemplate, renderTemplate, safeHtml, scriptJson, templatesDir } from './page';
export type { ShowOptions, ShowPage } from './html';
