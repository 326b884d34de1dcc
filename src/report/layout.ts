/**
 * A layered top-to-bottom DAG layout (Sugiyama style, kept simple): longest-path layering,
 * virtual nodes on edges that span several layers, barycenter sweeps against crossings, and
 * x positions by repeated least-squares alignment with neighbours under separation constraints.
 * Residual nets come out as a straight main chain with skip edges routed beside it.
 */

export interface LayoutNode {
  w: number;
  h: number;
}

export interface LayoutEdge {
  from: number;
  to: number;
}

export interface LayoutOptions {
  /** Vertical gap between layers (edge labels live there). */
  rankGap?: number;
  /** Horizontal gap between neighbours in a layer. */
  nodeGap?: number;
  /** Width reserved for a virtual node (a long edge passing through a layer). */
  dummyWidth?: number;
  margin?: number;
  /** Extra room above / below each layer (group headers and padding), given the layering. */
  rankPads?: (rank: readonly number[], numRanks: number) => { top: number[]; bottom: number[] };
}

export interface Layout {
  /** Top-left corner of each node. */
  x: number[];
  y: number[];
  rank: number[];
  /** Per edge: polyline from the source's bottom to the target's top. */
  points: [number, number][][];
  /** Top and height of each layer. */
  rankY: number[];
  rankH: number[];
  width: number;
  height: number;
}

/** Edges are expected from lower to higher node index (a Caffe net's order is topological). */
export function layoutDag(nodes: LayoutNode[], edges: LayoutEdge[], opts: LayoutOptions = {}): Layout {
  const rankGap = opts.rankGap ?? 40;
  const nodeGap = opts.nodeGap ?? 26;
  const dummyW = opts.dummyWidth ?? 14;
  const margin = opts.margin ?? 24;
  const n = nodes.length;
  const preds: number[][] = nodes.map(() => []);
  const succs: number[][] = nodes.map(() => []);
  for (const e of edges) {
    if (e.from >= e.to) throw new Error(`layoutDag: edge ${e.from}->${e.to} is not forward`);
    preds[e.to].push(e.from);
    succs[e.from].push(e.to);
  }

  // Longest-path layering; then sources move down next to their first consumer.
  const rank = new Array<number>(n).fill(0);
  for (let v = 0; v < n; v++) for (const u of preds[v]) rank[v] = Math.max(rank[v], rank[u] + 1);
  for (let v = 0; v < n; v++) {
    if (preds[v].length === 0 && succs[v].length > 0) rank[v] = Math.min(...succs[v].map((s) => rank[s])) - 1;
  }
  const numRanks = n === 0 ? 0 : Math.max(...rank) + 1;

  // Virtual nodes: ids n.. ; each graph edge becomes a chain of unit segments.
  const vw: number[] = nodes.map((d) => d.w);
  const vrank = rank.slice();
  const vpred: number[][] = nodes.map(() => []);
  const vsucc: number[][] = nodes.map(() => []);
  const chains: number[][] = [];
  const link = (a: number, b: number): void => {
    vsucc[a].push(b);
    vpred[b].push(a);
  };
  for (const e of edges) {
    const chain = [e.from];
    for (let r = rank[e.from] + 1; r < rank[e.to]; r++) {
      const d = vw.length;
      vw.push(dummyW);
      vrank.push(r);
      vpred.push([]);
      vsucc.push([]);
      link(chain[chain.length - 1], d);
      chain.push(d);
    }
    link(chain[chain.length - 1], e.to);
    chain.push(e.to);
    chains.push(chain);
  }
  const total = vw.length;
  const isDummy = (v: number): boolean => v >= n;

  // Initial order: net order, a long edge's virtual nodes right after its source.
  const layers: number[][] = Array.from({ length: numRanks }, () => []);
  const seed = new Array<number>(total).fill(0);
  for (let v = 0; v < n; v++) seed[v] = v;
  for (const c of chains) for (let i = 1; i < c.length - 1; i++) seed[c[i]] = c[0] + 0.5;
  const byRank = Array.from({ length: total }, (_, v) => v).sort((a, b) => seed[a] - seed[b] || a - b);
  for (const v of byRank) layers[vrank[v]].push(v);

  const pos = new Array<number>(total).fill(0);
  const index = (): void => layers.forEach((l) => l.forEach((v, i) => (pos[v] = i)));
  index();

  const crossings = (): number => {
    let c = 0;
    for (let r = 0; r + 1 < numRanks; r++) {
      const es: [number, number][] = [];
      for (const u of layers[r]) for (const w of vsucc[u]) es.push([pos[u], pos[w]]);
      es.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      // Inversions in the target positions (quadratic; layers are narrow).
      for (let i = 0; i < es.length; i++) for (let j = i + 1; j < es.length; j++) if (es[j][0] > es[i][0] && es[j][1] < es[i][1]) c++;
    }
    return c;
  };
  let best = layers.map((l) => l.slice());
  let bestC = crossings();
  for (let iter = 0; iter < 8 && bestC > 0; iter++) {
    const down = iter % 2 === 0;
    const rs = down ? Array.from({ length: numRanks }, (_, i) => i) : Array.from({ length: numRanks }, (_, i) => numRanks - 1 - i);
    for (const r of rs) {
      const key = new Map<number, number>();
      for (const v of layers[r]) {
        const nb = down ? vpred[v] : vsucc[v];
        key.set(v, nb.length === 0 ? pos[v] : nb.reduce((s, u) => s + pos[u], 0) / nb.length);
      }
      layers[r].sort((a, b) => (key.get(a) ?? 0) - (key.get(b) ?? 0) || pos[a] - pos[b]);
      layers[r].forEach((v, i) => (pos[v] = i));
    }
    const c = crossings();
    if (c < bestC) {
      bestC = c;
      best = layers.map((l) => l.slice());
    }
  }
  for (let r = 0; r < numRanks; r++) layers[r] = best[r];
  index();

  // x (centres): start packed, then align with neighbours, a long edge's segments pulling hardest.
  const cx = new Array<number>(total).fill(0);
  for (const l of layers) {
    let x = 0;
    for (const v of l) {
      cx[v] = x + vw[v] / 2;
      x += vw[v] + nodeGap;
    }
  }
  // How firmly a node holds its wanted place when neighbours compete: inner segments of long
  // edges most (they stay straight), then real-to-real links (the main chain), then the ends of
  // long edges, which bend aside.
  const ITER = Number(process.env.SENET_LAYOUT_ITER ?? 24);
  const weight = (a: number, b: number): number => (isDummy(a) && isDummy(b) ? 8 : !isDummy(a) && !isDummy(b) ? 4 : 1);
  const place = (l: number[], want: number[], wts: number[]): void => {
    // Least squares sum w_i (x_i - want_i)^2 with x_{i+1} - x_i >= sep_i: shift out the
    // separations, then pool adjacent violators (isotonic regression).
    const off: number[] = [0];
    for (let i = 1; i < l.length; i++) off.push(off[i - 1] + (vw[l[i - 1]] + vw[l[i]]) / 2 + nodeGap);
    const blocks: { sum: number; w: number; count: number }[] = [];
    for (let i = 0; i < l.length; i++) {
      blocks.push({ sum: (want[i] - off[i]) * wts[i], w: wts[i], count: 1 });
      while (blocks.length > 1) {
        const b = blocks[blocks.length - 1];
        const a = blocks[blocks.length - 2];
        if (a.sum / a.w <= b.sum / b.w) break;
        blocks.pop();
        a.sum += b.sum;
        a.w += b.w;
        a.count += b.count;
      }
    }
    let i = 0;
    for (const b of blocks) for (let k = 0; k < b.count; k++, i++) cx[l[i]] = b.sum / b.w + off[i];
  };
  const sweep = (dir: 'down' | 'up' | 'both' | 'bothUp'): void => {
    const order = Array.from({ length: numRanks }, (_, i) => (dir === 'up' || dir === 'bothUp' ? numRanks - 1 - i : i));
    for (const r of order) {
      const l = layers[r];
      const want: number[] = [];
      const wts: number[] = [];
      for (const v of l) {
        const nb = dir === 'down' ? vpred[v] : dir === 'up' ? vsucc[v] : vpred[v].concat(vsucc[v]);
        let sum = 0;
        let w = 0;
        for (const u of nb) {
          const k = weight(u, v);
          sum += k * cx[u];
          w += k;
        }
        want.push(w === 0 ? cx[v] : sum / w);
        wts.push(w === 0 ? 0.01 : w);
      }
      place(l, want, wts);
    }
  };
  // Down and up sweeps get a good start; sweeps against both neighbours (coordinate descent on the
  // weighted squared edge lengths, each layer solved exactly) then settle it without drift.
  sweep('down');
  sweep('up');
  for (let i = 0; i < ITER; i++) sweep(i % 2 === 0 ? 'both' : 'bothUp');

  // y: each layer as tall as its tallest node, plus the room groups ask for.
  const rankH = new Array<number>(numRanks).fill(0);
  for (let v = 0; v < n; v++) rankH[rank[v]] = Math.max(rankH[rank[v]], nodes[v].h);
  const pads = opts.rankPads?.(rank, numRanks);
  const padTop = pads?.top ?? new Array<number>(numRanks).fill(0);
  const padBottom = pads?.bottom ?? new Array<number>(numRanks).fill(0);
  const rankY: number[] = [];
  let y = margin;
  for (let r = 0; r < numRanks; r++) {
    y += padTop[r] ?? 0;
    rankY.push(y);
    y += rankH[r] + (padBottom[r] ?? 0) + rankGap;
  }
  const height = y - rankGap + margin;
  let minX = Infinity;
  let maxX = -Infinity;
  for (let v = 0; v < total; v++) {
    minX = Math.min(minX, cx[v] - vw[v] / 2);
    maxX = Math.max(maxX, cx[v] + vw[v] / 2);
  }
  if (total === 0) minX = maxX = 0;
  const shift = margin - minX;
  const round = (v: number): number => Math.round(v * 10) / 10;
  const x = nodes.map((d, v) => round(cx[v] + shift - d.w / 2));
  const ys = nodes.map((_, v) => rankY[rank[v]]);
  const points = chains.map((c) =>
    c.flatMap((v, i): [number, number][] => {
      const px = round(cx[v] + shift);
      if (i === 0) return [[px, ys[v] + nodes[v].h]];
      if (i === c.length - 1) return [[px, ys[v]]];
      return [
        [px, rankY[vrank[v]]],
        [px, rankY[vrank[v]] + rankH[vrank[v]]],
      ];
    }),
  );
  return { x, y: ys, rank, points, rankY, rankH, width: round(maxX - minX + 2 * margin), height };
}
