/**
 * The input of a generated net. Deploy: an Input layer 'data' [batch, 3, size, size]. Train: one
 * data layer per phase (both named 'data', told apart by `include { phase }`) with tops 'data' and
 * 'label'.
 */
import type { LayerFields, NetBuilder, Top } from '../../builder';
import type { ArchOptions, TrainDataOptions } from '../types';

export function dataLayers(n: NetBuilder, opts: ArchOptions): { data: Top; label?: Top } {
  if (opts.phase !== 'train') return { data: n.input('data', [opts.batch, 3, opts.inputSize, opts.inputSize]) };
  const t = opts.train!;
  let data: Top | undefined;
  let label: Top | undefined;
  for (const phase of ['TRAIN', 'TEST'] as const) {
    const training = phase === 'TRAIN';
    const fields: LayerFields = { include: { phase }, transform_param: transformParam(t, training) };
    const batch = training ? opts.batch : t.testBatch;
    const source = training ? t.trainSource : t.testSource;
    let type: string;
    if (t.backend === 'imagedata') {
      type = 'ImageData';
      fields.image_data_param = {
        source,
        batch_size: batch,
        ...(training ? { shuffle: true } : {}),
        new_height: t.newHeight,
        new_width: t.newWidth,
        root_folder: t.rootFolder,
      };
    } else {
      type = 'Data';
      fields.data_param = { source, batch_size: batch, backend: t.backend === 'lmdb' ? 'LMDB' : 'LEVELDB' };
    }
    // Both are named 'data', Caffe's convention: only one of them exists in either phase.
    const [d, l] = n.add(type, 'data', [], fields, { tops: ['data', 'label'] });
    data ??= d;
    label ??= l;
  }
  return { data: data!, label };
}

function transformParam(t: TrainDataOptions, training: boolean): LayerFields['transform_param'] {
  return {
    scale: t.scale,
    mirror: training ? t.mirror : false,
    crop_size: t.crop,
    mean_file: t.meanFile,
    mean_value: t.meanValues,
  };
}
