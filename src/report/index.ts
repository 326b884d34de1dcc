/** Human-facing reports on a net: the summary table and the self-contained HTML graph page. */
export { formatSummaryTable, shapeLabel, summarize, withSuffix, withThousands } from './summary';
export type { NetSummary, SummaryLayer, TableOptions } from './summary';
