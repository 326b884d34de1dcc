/**
 * `senet portable`: a net with the SENet release's Axpy layers rewritten into stock BVLC layers
 * (stock-axpy.ts, the same rewrite as `--flavor bvlc`), so stock Caffe and OpenCV (whose own Axpy
 * computes a * Y + X) run it. Learnable layers are untouched, so the same caffemodel loads. Each
 * Axpy layer `L` becomes `L_prob_reshape`, `L_scale` and the Eltwise `L` writing Axpy's top.
 */
import { NetError } from '../errors';
import type { LayerParameter, NetParameter } from '../schema';
import { stockAxpyLayers } from './stock-axpy';

export interface PortableResult {
  net: NetParameter;
  /** Names of the Axpy layers rewritten, in net order. */
  rewritten: string[];
}

export function portableNet(net: NetParameter): PortableResult {
  const layers = net.layer ?? [];
  const names = new Set(layers.map((l) => l.name ?? ''));
  const blobs = new Set([...(net.input ?? []), ...layers.flatMap((l) => [...(l.top ?? []), ...(l.bottom ?? [])])]);
  const out: LayerParameter[] = [];
  const rewritten: string[] = [];
  for (const l of layers) {
    if (l.type !== 'Axpy') {
      out.push(l);
      continue;
    }
    const name = l.name ?? '';
    const [a, x, y] = l.bottom ?? [];
    const top = l.top ?? [];
    if ((l.bottom ?? []).length !== 3 || top.length !== 1) {
      throw new NetError(name, `Axpy needs 3 bottoms (a, X, Y) and 1 top, has ${(l.bottom ?? []).length} and ${top.length}`);
    }
    // Eltwise zeroes its top before summing, so it cannot write into one of its bottoms.
    if (top[0] === x || top[0] === a || top[0] === y) {
      throw new NetError(name, `Axpy writes in place into its bottom '${top[0]}'; give it its own top to make the net portable`);
    }
    const stock = stockAxpyLayers(name, { a, x, y, out: top[0], name });
    for (const s of stock.slice(0, -1)) {
      if (names.has(s.name!) || blobs.has(s.top![0])) throw new NetError(name, `the stock form needs the layer and blob name '${s.name}', which the net already uses`);
      names.add(s.name!);
      blobs.add(s.top![0]);
    }
    // Phase rules and any other layer-level fields (e.g. a loss weight) follow the layer.
    const { name: _n, type: _t, bottom: _b, top: _tp, ...rest } = l;
    out.push(...stock.map((s) => ({ ...s, ...structuredClone(rest) })));
    rewritten.push(name);
  }
  return { net: { ...net, layer: out }, rewritten };
}
