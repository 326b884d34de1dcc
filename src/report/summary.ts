/**
 * Per-layer summary of a net (output shapes, parameters, multiply-adds) as a JSON-ready model
 * and as an aligned text table. Shapes come from the layer handlers, so they follow Caffe's own
 * rules (floor for convolution, ceil with the pad clip for pooling, global pooling).
 */
import { displayText } from '../display-text';
import type { NetShapes } from '../layers';

export interface SummaryLayer {
  name: string;
  type: string;
  tops: string[];
  /** One shape per top, in the order of `tops`. */
  shape: number[][];
  /** Learnable parameters (BatchNorm statistics excluded). */
  params: number;
  /** Convolution and InnerProduct multiply-adds, per image. */
  macs: number;
  /** 'type': a layer type senet does not know; 'shape': fed from one, so shapes and counts are unknown. */
  unknown?: 'type' | 'shape';
}

export interface NetSummary {
  name: string;
  /** Totals over the layers whose shapes are known. */
  params: number;
  macs: number;
  layers: SummaryLayer[];
  /** Layer types senet does not know, and the layers of those types (tolerant reading). */
  unknown?: { types: string[]; layers: string[]; shapeless: number };
}

/** One sentence on a net read tolerantly, or undefined when every type was known. */
export function unknownNote(u: NetSummary['unknown']): string | undefined {
  if (u === undefined) return undefined;
  const n = u.layers.length;
  return `${n} layer${n === 1 ? '' : 's'} of unknown type (${u.types.join(', ')}) marked unknown; shapes, params and MACs unknown from there on (${u.shapeless} more layer${u.shapeless === 1 ? '' : 's'}); totals count the known layers only`;
}

export function summarize(shapes: NetShapes): NetSummary {
  return {
    name: shapes.name,
    params: shapes.totals.params,
    macs: shapes.totals.macs,
    layers: shapes.layers.map((l) => ({
      name: l.name,
      type: l.type,
      tops: l.tops.slice(),
      shape: l.outputShapes.map((s) => s.slice()),
      params: l.params,
      macs: l.macs,
      ...(l.unknown !== undefined ? { unknown: l.unknown } : {}),
    })),
    ...(shapes.unknown !== undefined ? { unknown: structuredClone(shapes.unknown) } : {}),
  };
}

/** 28088024 -> "28,088,024". */
export function withThousands(n: number): string {
  const s = String(Math.round(Math.abs(n)));
  const parts: string[] = [];
  for (let end = s.length; end > 0; end -= 3) parts.unshift(s.slice(Math.max(0, end - 3), end));
  return (n < 0 ? '-' : '') + parts.join(',');
}

/** 3860488192 -> "3.86 G", 28088024 -> "28.09 M", 9408 -> "9.41 K", 12 -> "12". */
export function withSuffix(n: number): string {
  const units: [number, string][] = [
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'K'],
  ];
  for (const [v, u] of units) if (Math.abs(n) >= v) return `${(n / v).toFixed(2)} ${u}`;
  return String(n);
}

/** "1x64x112x112"; a scalar blob (no axes) is "scalar"; dimensions nobody can know (negative) are "?". */
export function shapeLabel(shape: readonly number[], sep = 'x'): string {
  if (shape.length === 1 && shape[0] < 0) return '?';
  return shape.length === 0 ? 'scalar' : shape.map((d) => (d < 0 ? '?' : String(d))).join(sep);
}

const MAX_COLUMN = 60;

export interface TableOptions {
  /** Extra header lines, e.g. the input shape and phase. */
  heading?: string[];
  /** Leave out the per-layer rows: name, heading and totals only. */
  totalsOnly?: boolean;
}

/** The summary as an aligned table with a totals footer. */
export function formatSummaryTable(s: NetSummary, opts: TableOptions = {}): string {
  const header = ['#', 'layer', 'type', 'output shape', 'params', 'MACs'];
  const right = [true, false, false, false, true, true];
  const rows: string[][] = [];
  s.layers.forEach((l, i) => {
    const shapes = l.shape.length === 0 ? ['-'] : l.shape.map((sh) => shapeLabel(sh));
    shapes.forEach((sh, j) => {
      rows.push(
        j === 0
          ? l.unknown !== undefined
            ? [String(i + 1), displayText(l.name), l.unknown === 'type' ? `${displayText(l.type)} (unknown)` : displayText(l.type), sh, '?', '?']
            : [String(i + 1), displayText(l.name), displayText(l.type), sh, l.params === 0 ? '-' : withThousands(l.params), l.macs === 0 ? '-' : withThousands(l.macs)]
          : ['', '', '', sh, '', ''],
      );
    });
  });
  // Columns align up to MAX_COLUMN characters; a longer cell overflows its row only (padding every
  // row to a 1 MB name ran out of memory).
  const widths = header.map((h, c) => Math.min(MAX_COLUMN, rows.reduce((m, r) => Math.max(m, r[c].length), h.length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, c) => (right[c] ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join('  ')
      .trimEnd();
  const out: string[] = [];
  out.push(s.name === '' ? '(unnamed net)' : s.name);
  for (const h of opts.heading ?? []) out.push(h);
  out.push('');
  if (!opts.totalsOnly) {
    out.push(line(header));
    out.push(line(widths.map((w) => '-'.repeat(w))));
    for (const r of rows) out.push(line(r));
    out.push('');
  }
  const layerCount = s.layers.length;
  const totals: [string, string][] = [
    ['layers', String(layerCount)],
    ['params', `${withThousands(s.params)} (${withSuffix(s.params)})`],
    ['MACs', `${withThousands(s.macs)} (${withSuffix(s.macs)}) per image`],
  ];
  const kw = Math.max(...totals.map(([k]) => k.length));
  for (const [k, v] of totals) out.push(`${(k + ':').padEnd(kw + 1)} ${v}`);
  const note = unknownNote(s.unknown);
  if (note !== undefined) out.push(`note: ${note}`);
  return out.join('\n') + '\n';
}
