/** Eltwise: PROD, SUM (with optional coefficients) or MAX of equally shaped bottoms. */
import { type LayerHandler, netError, noBlobs, noMacs, requireSameShapes } from './handler';

export const eltwise: LayerHandler = {
  type: 'Eltwise',
  paramField: 'eltwise_param',
  bottoms: { min: 2, max: Infinity },
  tops: { min: 1, max: 1 },
  // SUM and PROD start by overwriting the top, which would destroy an aliased bottom.
  inPlaceOk: false,
  outputShapes(layer, inputShapes) {
    const p = layer.eltwise_param ?? {};
    const coeff = p.coeff ?? [];
    if (coeff.length > 0) {
      if ((p.operation ?? 'SUM') !== 'SUM') throw netError(layer, 'coeff is only for the SUM operation');
      if (coeff.length !== inputShapes.length) {
        throw netError(layer, `takes one coeff per bottom: ${coeff.length} coeffs for ${inputShapes.length} bottoms`);
      }
    }
    return [requireSameShapes(layer, inputShapes).slice()];
  },
  blobShapes: noBlobs,
  macs: noMacs,
};
