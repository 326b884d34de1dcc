/**
 * The net as a display graph: layers folded into nodes (an in-place layer joins the node that
 * produced its blob, as Caffe computes it on that same memory), blobs as edges carrying their
 * shape, and collapsible groups (stages, blocks, SE modules). The grouping rule is described in
 * docs/show.md.
 */
import type { LayerShapes, NetShapes } from '../layers';

export interface GraphNode {
  id: number;
  /** Indices into NetShapes.layers; the first is the layer that owns the node, the rest ran in place on its output. */
  layers: number[];
  /** Innermost group holding the node, if any. */
  group?: number;
}

export interface GraphEdge {
  from: number;
  to: number;
  blob: string;
  shape: number[];
}

export type GroupKind = 'stage' | 'block' | 'se';

export interface GraphGroup {
  id: number;
  kind: GroupKind;
  label: string;
  parent?: number;
  /** Every node inside, descendants' included, in net order. */
  nodes: number[];
  layerCount: number;
  params: number;
  macs: number;
}

export interface NetGraph {
  layers: LayerShapes[];
  nodes: GraphNode[];
  edges: GraphEdge[];
  /** Parents before children. */
  groups: GraphGroup[];
}

/** Builds nodes and edges. Edges always run from a lower node id to a higher one (net order). */
function foldLayers(shapes: NetShapes): { nodes: GraphNode[]; edges: GraphEdge[] } {
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  // The node that last wrote each blob, its shape then, and whether anyone has read that version.
  const producer = new Map<string, number>();
  const current = new Map<string, number[]>();
  const read = new Set<string>();
  shapes.layers.forEach((l, i) => {
    const inPlace = l.bottoms.length === 1 && l.tops.length === 1 && l.tops[0] === l.bottoms[0];
    const host = inPlace ? producer.get(l.bottoms[0]) : undefined;
    if (inPlace && host !== undefined && !read.has(l.bottoms[0])) {
      nodes[host].layers.push(i);
      current.set(l.tops[0], l.outputShapes[0]);
      return;
    }
    const id = nodes.length;
    nodes.push({ id, layers: [i] });
    for (const b of l.bottoms) {
      const from = producer.get(b);
      read.add(b);
      if (from !== undefined) edges.push({ from, to: id, blob: b, shape: (current.get(b) ?? []).slice() });
    }
    l.tops.forEach((t, k) => {
      producer.set(t, id);
      current.set(t, l.outputShapes[k]);
      read.delete(t);
    });
  });
  return { nodes, edges };
}

/**
 * Stage and block keys from a layer name: letters, then the stage number, then optionally a
 * block token (`_1`, `a`, `b12`) ending at `_`, `/` or the end. `conv2_1_1x1_reduce` -> conv2 /
 * conv2_1; `res4b12_branch2b` and `bn4b12_branch2b` -> res4 / res4b12; `inception_3a/1x1` ->
 * inception_3 / inception_3a; `block_2_1_branch2a_bn` -> block_2 / block_2_1.
 */
const NAME_KEY = /^([A-Za-z][A-Za-z_]*?)(_?)(\d+)(?:(_?)(\d+|[a-z]\d*)(?=[_/]|$))?/;

interface NameKey {
  stage: string;
  stageText: string;
  block?: string;
  blockText?: string;
}

export function nameKey(name: string): NameKey | undefined {
  const m = NAME_KEY.exec(name);
  if (m === null) return undefined;
  const [, prefix, sep, num, sep2, block] = m;
  const stageText = `${prefix}${sep}${num}`;
  if (block === undefined) return { stage: num, stageText };
  return { stage: num, stageText, block: `${num}|${block}`, blockText: `${stageText}${sep2}${block}` };
}

/** Maximal runs of consecutive items sharing a defined key. */
function runs<T>(items: T[], key: (t: T) => string | undefined): { key: string; items: T[] }[] {
  const out: { key: string; items: T[] }[] = [];
  for (const it of items) {
    const k = key(it);
    const last = out[out.length - 1];
    if (k !== undefined && last !== undefined && last.key === k) last.items.push(it);
    else if (k !== undefined) out.push({ key: k, items: [it] });
    else out.push({ key: '', items: [] }); // breaks the run
  }
  return out.filter((r) => r.key !== '');
}

/** The label most members spell (first met wins ties). */
function commonLabel(texts: string[]): string {
  const counts = new Map<string, number>();
  for (const t of texts) counts.set(t, (counts.get(t) ?? 0) + 1);
  let best = texts[0];
  for (const t of texts) if ((counts.get(t) ?? 0) > (counts.get(best) ?? 0)) best = t;
  return best;
}

function commonPrefix(names: string[]): string {
  let p = names[0] ?? '';
  for (const n of names) while (!n.startsWith(p)) p = p.slice(0, -1);
  return p.replace(/[_/]+$/, '');
}

function isGlobalPool(l: LayerShapes): boolean {
  if (l.type !== 'Pooling') return false;
  const out = l.outputShapes[0] ?? [];
  return out.length === 4 && out[2] === 1 && out[3] === 1;
}

/**
 * SE modules, found by structure: a Sigmoid reached from a global pooling through a chain of
 * nodes with one input each (squeeze, excitation, gate); a Reshape right after the gate belongs
 * to it too.
 */
function seModules(layers: LayerShapes[], nodes: GraphNode[], edges: GraphEdge[]): number[][] {
  const preds = nodes.map(() => [] as number[]);
  const succs = nodes.map(() => [] as number[]);
  for (const e of edges) {
    preds[e.to].push(e.from);
    succs[e.from].push(e.to);
  }
  const host = (n: number): LayerShapes => layers[nodes[n].layers[0]];
  const out: number[][] = [];
  // The gate may run in place on the excitation's output, folded into its node.
  const gates = (n: number): boolean => nodes[n].layers.some((li) => layers[li].type === 'Sigmoid');
  for (const n of nodes) {
    if (!gates(n.id)) continue;
    const chain = [n.id];
    let cur = n.id;
    while (chain.length <= 8 && preds[cur].length === 1 && !isGlobalPool(host(cur))) {
      cur = preds[cur][0];
      chain.unshift(cur);
    }
    if (!isGlobalPool(host(cur)) || chain.length < 3) continue;
    // Inner nodes feed only the next one.
    if (chain.slice(0, -1).some((c) => succs[c].length !== 1)) continue;
    const next = succs[n.id];
    if (next.length === 1 && host(next[0]).type === 'Reshape' && preds[next[0]].length === 1) chain.push(next[0]);
    out.push(chain);
  }
  return out;
}

export function buildGraph(shapes: NetShapes): NetGraph {
  const { nodes, edges } = foldLayers(shapes);
  const layers = shapes.layers;
  const groups: GraphGroup[] = [];
  const keys = nodes.map((n) => nameKey(layers[n.layers[0]].name));

  const add = (kind: GroupKind, label: string, members: number[], parent?: number): number => {
    const id = groups.length;
    let layerCount = 0;
    let params = 0;
    let macs = 0;
    for (const m of members) {
      for (const li of nodes[m].layers) {
        layerCount++;
        params += layers[li].params;
        macs += layers[li].macs;
      }
      nodes[m].group = id;
    }
    groups.push({ id, kind, label, parent, nodes: members, layerCount, params, macs });
    return id;
  };

  const stageRuns = runs(nodes, (n) => keys[n.id]?.stage).filter((r) => r.items.length >= 2);
  if (stageRuns.length >= 2) {
    for (const sr of stageRuns) {
      const ids = sr.items.map((n) => n.id);
      const sid = add('stage', commonLabel(ids.map((i) => keys[i]?.stageText ?? '')), ids);
      const blockRuns = runs(sr.items, (n) => keys[n.id]?.block).filter((r) => r.items.length >= 2);
      if (blockRuns.length < 2) continue;
      for (const br of blockRuns) {
        const bids = br.items.map((n) => n.id);
        add('block', commonLabel(bids.map((i) => keys[i]?.blockText ?? '')), bids, sid);
      }
    }
  }
  for (const chain of seModules(layers, nodes, edges)) {
    // The SE module nests in the group of its pooling layer when that group holds all of it.
    const parent = nodes[chain[0]].group;
    const inside = (g: number | undefined, n: number): boolean => {
      for (let h = nodes[n].group; h !== undefined; h = groups[h].parent) if (h === g) return true;
      return false;
    };
    const ok = parent === undefined || chain.every((c) => inside(parent, c));
    const label = commonPrefix(chain.flatMap((c) => nodes[c].layers.map((li) => layers[li].name)));
    add('se', label === '' ? 'SE' : label, chain, ok ? parent : undefined);
  }
  return { layers, nodes, edges, groups };
}
