/** Caffe's BaseConvolutionLayer geometry: kernel, stride, pad and dilation per spatial axis, as its LayerSetUp reads them. */
import { layerParam, type ConvolutionParameter, type LayerParameter } from '../schema';
import { canonicalAxis, netError } from './handler';
import type { Shape } from './shape';

/** Resolved geometry of a (de)convolution, one entry per spatial axis. */
export interface ConvGeometry {
  channelAxis: number;
  numOutput: number;
  group: number;
  biasTerm: boolean;
  kernel: number[];
  stride: number[];
  pad: number[];
  dilation: number[];
}

function param(layer: LayerParameter): ConvolutionParameter {
  return layer.convolution_param ?? {};
}

/**
 * One value per spatial axis from a repeated field (empty -> default, one -> all axes) or the
 * 2-D-only `_h`/`_w` pair, as Caffe's LayerSetUp reads them.
 */
function perAxis(
  layer: LayerParameter,
  name: string,
  repeated: number[] | undefined,
  h: number | undefined,
  w: number | undefined,
  n: number,
  dflt: number | undefined,
): number[] {
  if (h !== undefined || w !== undefined) {
    if (n !== 2) throw netError(layer, `${name}_h/${name}_w can only be used for 2D convolution`);
    if ((repeated?.length ?? 0) > 0) throw netError(layer, `either ${name} or ${name}_h/${name}_w may be given, not both`);
    if (h === undefined || w === undefined) {
      // Caffe lets pad_h/pad_w default to 0 individually; kernel and stride need both.
      if (dflt === undefined || name !== 'pad') throw netError(layer, `both ${name}_h and ${name}_w are required`);
    }
    return [h ?? dflt ?? 0, w ?? dflt ?? 0];
  }
  const r = repeated ?? [];
  if (r.length === 0) {
    if (dflt === undefined) throw netError(layer, `${name} is required`);
    return new Array<number>(n).fill(dflt);
  }
  if (r.length !== 1 && r.length !== n) {
    throw netError(layer, `${name} must be specified once, or once per spatial dimension (${name} specified ${r.length} times; ${n} spatial dims)`);
  }
  return r.length === 1 ? new Array<number>(n).fill(r[0]) : r.slice();
}

/** The geometry of a Convolution or Deconvolution layer on `input`; a NetError when it is invalid. */
export function convGeometry(layer: LayerParameter, input: Shape): ConvGeometry {
  // Raw for the per-axis fields (a given pad_h overrides pad), resolved for the rest.
  const p = param(layer);
  const r = layerParam(layer, 'convolution_param');
  const channelAxis = canonicalAxis(layer, r.axis, input.length);
  const n = input.length - channelAxis - 1;
  if (n < 1) throw netError(layer, `needs at least one spatial axis after the channel axis (input has ${input.length} axes)`);
  const kernel = perAxis(layer, 'kernel', p.kernel_size, p.kernel_h, p.kernel_w, n, undefined);
  const stride = perAxis(layer, 'stride', p.stride, p.stride_h, p.stride_w, n, 1);
  const pad = perAxis(layer, 'pad', p.pad, p.pad_h, p.pad_w, n, 0);
  const dilation = perAxis(layer, 'dilation', p.dilation, undefined, undefined, n, 1);
  if (kernel.some((k) => k <= 0)) throw netError(layer, 'kernel dimensions must be nonzero');
  if (stride.some((s) => s <= 0)) throw netError(layer, 'stride dimensions must be nonzero');
  if (dilation.some((d) => d <= 0)) throw netError(layer, 'dilation must be nonzero');
  const numOutput = p.num_output ?? 0;
  if (numOutput <= 0) throw netError(layer, 'num_output must be set and positive');
  const group = r.group;
  if (group <= 0) throw netError(layer, 'group must be positive');
  const channels = input[channelAxis];
  if (channels % group !== 0) throw netError(layer, `input channels ${channels} are not a multiple of group ${group}`);
  if (numOutput % group !== 0) throw netError(layer, `num_output ${numOutput} is not a multiple of group ${group}`);
  return { channelAxis, numOutput, group, biasTerm: r.bias_term, kernel, stride, pad, dilation };
}
