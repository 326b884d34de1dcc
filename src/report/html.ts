/**
 * `senet show`: one self-contained HTML page drawing a net as an SVG graph. Layout and SVG are
 * made here at generation time; the page's inline script only adds the tooltip, search and
 * collapsing (which shifts the precomputed geometry). No external resources of any kind.
 */
import { inputBlobs, layerCategory, type LayerCategory, type NetShapes } from '../layers';
import { buildGraph, type GraphGroup, type NetGraph } from './graph';
import { layoutDag, type Layout } from './layout';
import { esc, pageCss, rawTemplate, renderTemplate, safeHtml, scriptJson } from './page';
import { shapeLabel, withSuffix, withThousands } from './summary';

/** Legend text of each colour family (the family is the layer handler's `category`). */
const CLASS_LABEL: Record<LayerCategory, string> = {
  data: 'Input / data',
  conv: 'Convolution',
  fc: 'InnerProduct',
  pool: 'Pooling',
  norm: 'BatchNorm / normalisation',
  scale: 'Scale / Bias',
  act: 'Activation',
  gate: 'Sigmoid (SE gate)',
  merge: 'Eltwise / Axpy',
  concat: 'Concat / Slice',
  out: 'Softmax / loss',
  other: 'Other',
};

const ROW_H = 22;
const HEADER_H = 20;
const GROUP_PAD_B = 8;

export interface ShowOptions {
  /** Page title; default the net's name. */
  title?: string;
  /** Where the net came from (an ID or a file), shown in the header. */
  source?: string;
}

interface GroupBox {
  top: number;
  bottom: number;
  left: number;
  right: number;
}


/** The same curve the page's script draws: vertical tangents between consecutive points. */
export function edgePath(pts: readonly (readonly [number, number])[]): string {
  if (pts.length === 0) return '';
  let d = `M${pts[0][0]},${pts[0][1]}`;
  for (let i = 1; i < pts.length; i++) {
    const [x0, y0] = pts[i - 1];
    const [x1, y1] = pts[i];
    if (x0 === x1) d += `L${x1},${y1}`;
    else {
      const m = (y0 + y1) / 2;
      d += `C${x0},${m} ${x1},${m} ${x1},${y1}`;
    }
  }
  return d;
}

function depthMaps(g: NetGraph): { children: number[][]; below: number[] } {
  const children: number[][] = g.groups.map(() => []);
  for (const gr of g.groups) if (gr.parent !== undefined) children[gr.parent].push(gr.id);
  const below = g.groups.map(() => 0);
  // Children come after parents, so a reverse pass sees them first.
  for (let i = g.groups.length - 1; i >= 0; i--) {
    for (const c of children[i]) below[i] = Math.max(below[i], below[c] + 1);
  }
  return { children, below };
}

export interface ShowPage {
  html: string;
  graph: NetGraph;
  layout: Layout;
}

export function renderNetPage(shapes: NetShapes, opts: ShowOptions = {}): ShowPage {
  const graph = buildGraph(shapes);
  const L = graph.layers;
  const { children, below } = depthMaps(graph);

  const longestName = Math.max(8, ...L.map((l) => l.name.length));
  const longestType = Math.max(4, ...L.map((l) => l.type.length));
  const nodeW = Math.round(Math.min(420, Math.max(200, longestName * 6.9 + longestType * 5.6 + 38)));
  const sizes = graph.nodes.map((n) => ({ w: nodeW, h: n.layers.length * ROW_H + 4 }));

  // Group extents in layers, for the header room above and the padding below.
  const span = (gr: GraphGroup, rank: readonly number[]): [number, number] => [
    Math.min(...gr.nodes.map((v) => rank[v])),
    Math.max(...gr.nodes.map((v) => rank[v])),
  ];
  const stackTop = (gi: number, rank: readonly number[], memo: Map<number, number>): number => {
    const hit = memo.get(gi);
    if (hit !== undefined) return hit;
    const [s] = span(graph.groups[gi], rank);
    let d = 1;
    for (const c of children[gi]) if (span(graph.groups[c], rank)[0] === s) d = Math.max(d, 1 + stackTop(c, rank, memo));
    memo.set(gi, d);
    return d;
  };
  const stackBottom = (gi: number, rank: readonly number[], memo: Map<number, number>): number => {
    const hit = memo.get(gi);
    if (hit !== undefined) return hit;
    const [, e] = span(graph.groups[gi], rank);
    let d = 1;
    for (const c of children[gi]) if (span(graph.groups[c], rank)[1] === e) d = Math.max(d, 1 + stackBottom(c, rank, memo));
    memo.set(gi, d);
    return d;
  };
  const topMemo = new Map<number, number>();
  const botMemo = new Map<number, number>();
  const layout = layoutDag(sizes, graph.edges, {
    rankPads: (rank, numRanks) => {
      const top = new Array<number>(numRanks).fill(0);
      const bottom = new Array<number>(numRanks).fill(0);
      for (const gr of graph.groups) {
        const [s, e] = span(gr, rank);
        top[s] = Math.max(top[s], stackTop(gr.id, rank, topMemo) * HEADER_H);
        bottom[e] = Math.max(bottom[e], stackBottom(gr.id, rank, botMemo) * GROUP_PAD_B);
      }
      return { top, bottom };
    },
  });

  const boxes: GroupBox[] = graph.groups.map((gr) => {
    const side = 10 + 10 * below[gr.id];
    return {
      top: Math.min(...gr.nodes.map((v) => layout.y[v])) - stackTop(gr.id, layout.rank, topMemo) * HEADER_H + 2,
      bottom: Math.max(...gr.nodes.map((v) => layout.y[v] + sizes[v].h)) + stackBottom(gr.id, layout.rank, botMemo) * GROUP_PAD_B - 2,
      left: Math.min(...gr.nodes.map((v) => layout.x[v])) - side,
      right: Math.max(...gr.nodes.map((v) => layout.x[v] + sizes[v].w)) + side,
    };
  });

  // Fan-in: spread the arrows over the target's top edge, ordered by where they come from.
  const points = layout.points.map((p) => p.map((q) => [q[0], q[1]] as [number, number]));
  const incoming = new Map<number, number[]>();
  graph.edges.forEach((e, i) => incoming.set(e.to, [...(incoming.get(e.to) ?? []), i]));
  for (const [to, list] of incoming) {
    if (list.length < 2) continue;
    const from = (i: number): number => points[i][points[i].length - 2][0];
    list.sort((a, b) => from(a) - from(b));
    const step = Math.min(16, (sizes[to].w - 40) / (list.length - 1));
    list.forEach((ei, k) => {
      const pts = points[ei];
      pts[pts.length - 1][0] = Math.round((pts[pts.length - 1][0] + (k - (list.length - 1) / 2) * step) * 10) / 10;
    });
  }

  const edgeLabels = graph.edges.map((e, i) => {
    const [x0, y0] = points[i][0];
    const [x1, y1] = points[i][1];
    const mx = (x0 + x1) / 2;
    const left = x1 < x0 - 1;
    return { x: Math.round(left ? mx - 6 : mx + 6), y: Math.round((y0 + y1) / 2 + 3.5), anchor: left ? 'end' : 'start', text: shapeLabel(e.shape, '×') };
  });

  // SVG, drawn back to front: groups, edges, labels, nodes.
  const svg: string[] = [];
  const w = Math.ceil(layout.width);
  const h = Math.ceil(layout.height);
  svg.push(`<svg id="graph" xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">`);
  svg.push('<defs><marker id="arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0.8 L7.2,4 L0,7.2 z" class="arrowhead"/></marker></defs>');
  svg.push('<g id="groups">');
  const heads: string[] = [];
  graph.groups.forEach((gr, i) => {
    const b = boxes[i];
    const count = gr.kind === 'stage' && children[i].length > 0 ? `${children[i].length} blocks · ` : '';
    const meta = `${count}${gr.layerCount} layers · ${withSuffix(gr.params)} params · ${withSuffix(gr.macs)} MACs`;
    const title = gr.kind === 'se' ? `SE ${gr.label}` : gr.label;
    svg.push(
      `<g class="group ${gr.kind}" id="g${i}" data-group="${i}" data-label="${esc(gr.label)}">` +
        `<rect class="gbox" x="${b.left}" y="${b.top}" width="${b.right - b.left}" height="${b.bottom - b.top}" rx="10"/></g>`,
    );
    // Headers go above the edges (drawn later), so a passing edge never hides their text.
    heads.push(
      `<g class="ghead ${gr.kind}" id="h${i}" data-group="${i}" transform="translate(${b.left + 8},${b.top + 14})" role="button" tabindex="0" aria-expanded="true">` +
        `<text><tspan class="chev">▾</tspan> <tspan class="gname">${esc(title)}</tspan><tspan class="gmeta" dx="8">${esc(meta)}</tspan></text></g>`,
    );
  });
  svg.push('</g><g id="edges">');
  graph.edges.forEach((e, i) => {
    svg.push(`<path class="edge" id="e${i}" d="${edgePath(points[i])}" marker-end="url(#arrow)"><title>${esc(e.blob)}</title></path>`);
  });
  svg.push('</g><g id="labels">');
  edgeLabels.forEach((lb, i) => {
    svg.push(`<text class="elabel" id="l${i}" x="${lb.x}" y="${lb.y}" text-anchor="${lb.anchor}">${esc(lb.text)}</text>`);
  });
  svg.push(`</g><g id="gheads">${heads.join('')}`);
  svg.push('</g><g id="nodes">');
  graph.nodes.forEach((n, i) => {
    const host = layerCategory(L[n.layers[0]].type);
    const parts: string[] = [];
    parts.push(`<g class="node t-${host}" id="n${i}" transform="translate(${layout.x[i]},${layout.y[i]})">`);
    parts.push(`<rect class="nbox" width="${sizes[i].w}" height="${sizes[i].h}" rx="6"/>`);
    n.layers.forEach((li, k) => {
      const l = L[li];
      const y = 2 + k * ROW_H;
      parts.push(
        `<g class="layer t-${layerCategory(l.type)}${k === 0 ? ' host' : ''}" id="L${li}" data-i="${li}" transform="translate(0,${y})">` +
          `<rect class="hit" x="1" width="${sizes[i].w - 2}" height="${ROW_H}"/>` +
          `<rect class="sw" x="6" y="5" width="4" height="${ROW_H - 10}" rx="2"/>` +
          `<text class="lname" x="16" y="15">${esc(l.name)}</text>` +
          `<text class="ltype" x="${sizes[i].w - 10}" y="15" text-anchor="end">${esc(l.unknown === 'type' ? `${l.type} (unknown)` : l.type)}</text></g>`,
      );
    });
    parts.push('</g>');
    svg.push(parts.join(''));
  });
  svg.push('</g></svg>');

  const inputs = inputBlobs(shapes).map(([name, shape]) => `${name} ${shapeLabel(shape, '×')}`);
  const typeCounts = new Map<LayerCategory, number>();
  for (const l of L) typeCounts.set(layerCategory(l.type), (typeCounts.get(layerCategory(l.type)) ?? 0) + 1);
  const legend = (Object.keys(CLASS_LABEL) as LayerCategory[])
    .filter((c) => typeCounts.has(c))
    .map((c) => ({ cls: c, label: CLASS_LABEL[c], count: typeCounts.get(c) }));

  const data = {
    layers: L.map((l) => ({
      n: l.name,
      t: l.type,
      b: l.bottoms,
      o: l.tops,
      s: l.outputShapes,
      p: l.params,
      st: l.stats,
      m: l.macs,
      bs: l.blobShapes,
    })),
    nodes: graph.nodes.map((n, i) => ({ x: layout.x[i], y: layout.y[i], h: sizes[i].h, g: n.group ?? -1, l: n.layers })),
    edges: graph.edges.map((e, i) => ({ f: e.from, t: e.to, p: points[i], lx: edgeLabels[i].x, ly: edgeLabels[i].y })),
    groups: graph.groups.map((gr, i) => ({ k: gr.kind, p: gr.parent ?? -1, ...boxes[i] })),
    totals: shapes.totals,
    width: w,
    height: h,
  };

  const name = shapes.name === '' ? '(unnamed net)' : shapes.name;
  const html = renderTemplate('net.html.hbs', {
    title: `${opts.title ?? name} · senet show`,
    name,
    source: opts.source ?? '',
    inputs: inputs.join(', ') || '-',
    params: withThousands(shapes.totals.params),
    paramsShort: withSuffix(shapes.totals.params),
    macs: withThousands(shapes.totals.macs),
    macsShort: withSuffix(shapes.totals.macs),
    layerCount: L.length,
    groupCount: graph.groups.length,
    legend,
    css: pageCss('net.css'),
    script: rawTemplate('net.js'),
    svg: safeHtml(svg.join('\n')),
    data: scriptJson(data),
  });
  return { html, graph, layout };
}
