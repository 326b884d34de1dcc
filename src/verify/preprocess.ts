/**
 * Image preprocessing for evaluation, as Caffe-era ImageNet protocols do it:
 * decode (sharp) -> resize so the shorter side is R (bilinear) -> centre crop HxW -> channel order
 * -> subtract the mean -> multiply by the scale -> NCHW float32.
 *
 * The resize is ours, not libvips': OpenCV's INTER_LINEAR geometry (pixel centres at +0.5, source
 * coordinate = (dst + 0.5) * src/dst - 0.5, clamped at the border, no antialiasing), which is
 * what Caffe's tools and pycaffe-era scripts used; libvips' linear kernel widens on downscaling
 * (antialiasing) and gives different pixels. Resized values are rounded to 8 bits, as an 8-bit
 * OpenCV image would be, before the mean is subtracted. Only the cropped window is computed.
 */
import { INPUT_LIMITS, readInputFile } from '../input-file';
import * as fs from 'fs';
import type SharpModule from 'sharp';
import { readBinaryproto } from '../caffemodel';
import { InputFileError, UsageError } from '../errors';
import type { PreprocessingInfo } from '../model-metadata';
import { autoProtocol, describeResize, protocolResize, type ProtocolName, type ResizeRule } from './protocols';

export interface DecodedImage {
  /** HWC, 8-bit, RGB (3 channels) or gray (1). */
  data: Uint8Array;
  width: number;
  height: number;
  channels: 1 | 3;
}

/** A per-channel mean (one value per channel) or a per-pixel mean [C,H,W] (a Caffe mean file). */
export type Mean = { kind: 'channel'; values: number[] } | { kind: 'pixel'; data: Float32Array; shape: [number, number, number] };

export interface PreprocessOptions {
  /** Shorter side after resizing (both sides with `warp`); 0 = no resize. */
  resize: number;
  /** Resize to resize x resize without keeping the aspect ratio (BVLC's 256x256 training images). */
  warp?: boolean;
  /** The protocol (protocols.ts) that chose the resize, 'custom' when --resize gave it. */
  protocol?: ProtocolName | 'custom';
  /** Crop [height, width], centred. */
  crop: [number, number];
  channelOrder: 'BGR' | 'RGB' | 'GRAY';
  /** In the model's channel order. */
  mean?: Mean;
  scale: number;
}

/** The official SENet / BVLC ImageNet protocol values. */
export const IMAGENET_DEFAULTS = { mean: [104, 117, 123], channelOrder: 'BGR' as const, resize: 256, crop: 224 };

let sharpModule: typeof SharpModule | undefined;

/** sharp (libvips), loaded on first use: only eval and predict decode images, not every CLI start. */
function sharp(): typeof SharpModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  sharpModule ??= require('sharp') as typeof SharpModule;
  return sharpModule;
}

/** Decodes an image file or buffer into 8-bit RGB (or gray) pixels. Rejects on unreadable/corrupt files. */
export async function decodeImage(input: string | Buffer, gray = false): Promise<DecodedImage> {
  const name = typeof input === 'string' ? input : '<image>';
  // Read here, so a missing or oversized file is worded as every other input is.
  const bytes = typeof input === 'string' ? readInputFile(input, INPUT_LIMITS.binary, 'an image', INPUT_LIMITS.stream) : input;
  let decoded: { data: Buffer; info: { channels: number; width: number; height: number } };
  try {
    // failOn 'error': truncated or corrupt files are errors, not silently half-grey images.
    let img = sharp()(bytes, { failOn: 'error' }).removeAlpha();
    img = gray ? img.toColourspace('b-w') : img.toColourspace('srgb');
    decoded = await img.raw().toBuffer({ resolveWithObject: true });
  } catch (e) {
    // libvips' text can run to several lines; its first says what was wrong.
    const first = (e instanceof Error ? e.message : String(e)).split('\n').map((l) => l.trim()).filter((l) => l !== '')[0] ?? 'unknown error';
    throw new InputFileError(name, `cannot decode the image: ${first.slice(0, 200)}`);
  }
  const { data, info } = decoded;
  const channels = info.channels;
  if (channels !== (gray ? 1 : 3)) throw new InputFileError(name, `decoded to ${channels} channels`);
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, channels: channels as 1 | 3 };
}

/** Size after resizing the shorter side to `shorter` (the longer side rounded to nearest), or both sides with `warp`. */
export function resizedSize(width: number, height: number, shorter: number, warp = false): [number, number] {
  if (shorter <= 0) return [width, height];
  if (warp) return [shorter, shorter];
  if (width <= height) return [shorter, Math.max(1, Math.round((height * shorter) / width))];
  return [Math.max(1, Math.round((width * shorter) / height)), shorter];
}

/** Source sample positions (OpenCV INTER_LINEAR) for output positions off..off+n-1 of a src->dst resize. */
function axisTaps(src: number, dst: number, off: number, n: number): { i0: Int32Array; i1: Int32Array; f: Float32Array } {
  const i0 = new Int32Array(n);
  const i1 = new Int32Array(n);
  const f = new Float32Array(n);
  const s = src / dst;
  for (let k = 0; k < n; k++) {
    let x = (off + k + 0.5) * s - 0.5;
    if (x < 0) x = 0;
    let a = Math.floor(x);
    if (a >= src - 1) {
      a = src - 1;
      x = a;
    }
    i0[k] = a;
    i1[k] = Math.min(a + 1, src - 1);
    f[k] = x - a;
  }
  return { i0, i1, f };
}

/**
 * Resizes (shorter side -> `resize`) and centre-crops; returns HWC 8-bit pixels of the crop.
 * Crop offsets as Caffe's DataTransformer: floor((size - crop) / 2).
 */
export function resizeAndCrop(img: DecodedImage, resize: number, crop: [number, number], warp = false): { data: Uint8Array; offset: [number, number]; resized: [number, number] } {
  const [rw, rh] = resizedSize(img.width, img.height, resize, warp);
  const [ch, cw] = crop;
  if (ch > rh || cw > rw) throw new UsageError(`crop ${ch}x${cw} is larger than the resized image ${rh}x${rw}`);
  const oy = Math.floor((rh - ch) / 2);
  const ox = Math.floor((rw - cw) / 2);
  const c = img.channels;
  const out = new Uint8Array(ch * cw * c);
  const ys = axisTaps(img.height, rh, oy, ch);
  const xs = axisTaps(img.width, rw, ox, cw);
  const src = img.data;
  const stride = img.width * c;
  for (let y = 0; y < ch; y++) {
    const r0 = ys.i0[y] * stride;
    const r1 = ys.i1[y] * stride;
    const fy = ys.f[y];
    for (let x = 0; x < cw; x++) {
      const a = xs.i0[x] * c;
      const b = xs.i1[x] * c;
      const fx = xs.f[x];
      for (let k = 0; k < c; k++) {
        const top = src[r0 + a + k] + (src[r0 + b + k] - src[r0 + a + k]) * fx;
        const bot = src[r1 + a + k] + (src[r1 + b + k] - src[r1 + a + k]) * fx;
        const v = Math.round(top + (bot - top) * fy);
        out[(y * cw + x) * c + k] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
    }
  }
  return { data: out, offset: [oy, ox], resized: [rh, rw] };
}

/** HWC 8-bit crop -> CHW float32 in the model's channel order, mean subtracted, scaled. Writes into `out` at `at`. */
export function toModelInput(pixels: Uint8Array, h: number, w: number, srcChannels: 1 | 3, opts: Pick<PreprocessOptions, 'channelOrder' | 'mean' | 'scale'>, out?: Float32Array, at = 0): Float32Array {
  const c = opts.channelOrder === 'GRAY' ? 1 : 3;
  if (c !== srcChannels) throw new UsageError(`the image has ${srcChannels} channels, the model wants ${c} (${opts.channelOrder})`);
  const dst = out ?? new Float32Array(c * h * w);
  const mean = opts.mean;
  if (mean?.kind === 'channel' && mean.values.length !== 1 && mean.values.length !== c) {
    throw new UsageError(`the mean has ${mean.values.length} values but the model has ${c} channels`);
  }
  let pOff: [number, number] = [0, 0];
  if (mean?.kind === 'pixel') {
    const [mc, mh, mw] = mean.shape;
    if (mc !== c || mh < h || mw < w) throw new UsageError(`the mean file is [${mean.shape.join(', ')}], the model input is [${c}, ${h}, ${w}]`);
    pOff = [Math.floor((mh - h) / 2), Math.floor((mw - w) / 2)];
  }
  const plane = h * w;
  for (let k = 0; k < c; k++) {
    // BGR: model channel 0 is the image's blue (index 2 of RGB).
    const srcK = opts.channelOrder === 'BGR' ? 2 - k : k;
    const m0 = mean?.kind === 'channel' ? mean.values[mean.values.length === 1 ? 0 : k] : 0;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let m = m0;
        if (mean?.kind === 'pixel') m = mean.data[(k * mean.shape[1] + y + pOff[0]) * mean.shape[2] + x + pOff[1]];
        dst[at + k * plane + y * w + x] = (pixels[(y * w + x) * srcChannels + srcK] - m) * opts.scale;
      }
    }
  }
  return dst;
}

/** Full pipeline for one image. */
export async function preprocessImage(input: string | Buffer, opts: PreprocessOptions, out?: Float32Array, at = 0): Promise<Float32Array> {
  const img = await decodeImage(input, opts.channelOrder === 'GRAY');
  const { data } = resizeAndCrop(img, opts.resize, opts.crop, opts.warp === true);
  return toModelInput(data, opts.crop[0], opts.crop[1], img.channels, opts, out, at);
}

/** `--mean` text: "104,117,123", one number, or a Caffe .binaryproto mean file. */
export function parseMean(text: string): Mean {
  if (fs.existsSync(text) && fs.statSync(text).isFile()) {
    const b = readBinaryproto(text);
    const shape = b.shape.length === 4 ? b.shape.slice(1) : b.shape.slice(-3);
    if (shape.length !== 3) throw new InputFileError(text, `mean blob has shape [${b.shape.join(', ')}], expected [1, C, H, W]`);
    return { kind: 'pixel', data: b.data, shape: [shape[0], shape[1], shape[2]] };
  }
  const parts = text.split(',').map((s) => s.trim());
  const nums = parts.map(Number);
  if (parts.some((p) => p === '') || nums.some((n) => !Number.isFinite(n))) {
    throw new UsageError(`--mean '${text}' must be comma-separated numbers or a .binaryproto mean file`);
  }
  return { kind: 'channel', values: nums };
}

/** What may override a model's preprocessing (the eval / predict / preprocess flags). */
export interface PreprocessFlags {
  mean?: Mean;
  scale?: number;
  resize?: number;
  crop?: number;
  channelOrder?: 'BGR' | 'RGB' | 'GRAY';
  /** A named resize/crop protocol (protocols.ts); default 'auto', chosen by the input size. */
  protocol?: ProtocolName | 'auto';
}

/**
 * Preprocessing for a model: flags override the model's metadata, which overrides the ImageNet
 * defaults. The crop is the model's input size; the resize comes from the protocol (protocols.ts:
 * by default chosen by the input size, e.g. shorter side 256 for 224 and 227, none for CIFAR's
 * 32x32), unless `resize` gives it.
 */
export function preprocessingFor(inputShape: readonly number[], pre: PreprocessingInfo | undefined, flags: PreprocessFlags): PreprocessOptions {
  if (inputShape.length !== 4) throw new UsageError(`the model input is [${inputShape.join(', ')}], not an NCHW image`);
  const [, c, h, w] = inputShape;
  const crop: [number, number] = flags.crop !== undefined ? [flags.crop, flags.crop] : pre?.cropSize ? [pre.cropSize[0], pre.cropSize[1]] : [h, w];
  if (crop[0] !== h || crop[1] !== w) throw new UsageError(`crop ${crop[0]}x${crop[1]} differs from the model input ${h}x${w}`);
  const channelOrder = flags.channelOrder ?? pre?.channelOrder ?? (c === 1 ? 'GRAY' : IMAGENET_DEFAULTS.channelOrder);
  if ((channelOrder === 'GRAY') !== (c === 1)) throw new UsageError(`channel order ${channelOrder} does not fit a ${c}-channel input`);
  const mean: Mean | undefined = flags.mean ?? (pre?.mean ? { kind: 'channel', values: pre.mean } : c === 3 ? { kind: 'channel', values: IMAGENET_DEFAULTS.mean } : undefined);
  const named = flags.protocol === undefined || flags.protocol === 'auto' ? autoProtocol(h, w) : flags.protocol;
  const rule: ResizeRule = protocolResize(named, crop);
  const resize = flags.resize ?? (rule.kind === 'none' ? 0 : rule.size);
  if (!Number.isInteger(resize) || resize < 0) throw new UsageError(`--resize ${resize} must be a non-negative integer`);
  const out: PreprocessOptions = { resize, crop, channelOrder, mean, scale: flags.scale ?? pre?.scale ?? 1, protocol: flags.resize !== undefined ? 'custom' : named };
  if (rule.kind === 'warp' && resize > 0) out.warp = true;
  return out;
}

/** One line for reports: `senet: shorter side 256, centre crop 224x224, BGR, mean 104,117,123, scale 1`. */
export function describePreprocessing(p: PreprocessOptions): string {
  const rule: ResizeRule = p.resize <= 0 ? { kind: 'none' } : { kind: p.warp ? 'warp' : 'shorter', size: p.resize };
  const mean = p.mean === undefined ? 'no mean' : p.mean.kind === 'channel' ? `mean ${p.mean.values.join(',')}` : `mean file [${p.mean.shape.join('x')}]`;
  return `${p.protocol ?? 'custom'}: ${describeResize(rule)}, centre crop ${p.crop[0]}x${p.crop[1]}, ${p.channelOrder}, ${mean}, scale ${p.scale}`;
}

/**
 * Several images through the same pipeline into one NCHW batch [N, C, H, W], in order: what eval
 * and predict feed the model and what `senet preprocess` writes. `onImage` reports each one done.
 */
export async function preprocessBatch(
  inputs: readonly (string | Buffer)[],
  opts: PreprocessOptions,
  onImage?: (done: number, total: number) => void,
): Promise<{ data: Float32Array; shape: [number, number, number, number] }> {
  const c = opts.channelOrder === 'GRAY' ? 1 : 3;
  const [h, w] = opts.crop;
  const plane = c * h * w;
  const data = new Float32Array(inputs.length * plane);
  for (let i = 0; i < inputs.length; i++) {
    await preprocessImage(inputs[i], opts, data, i * plane);
    onImage?.(i + 1, inputs.length);
  }
  return { data, shape: [inputs.length, c, h, w] };
}

/**
 * The pipeline on pixels already decoded (a canvas' RGBA, a camera frame, raw RGB): 8-bit HWC with
 * 1, 3 or 4 channels (alpha dropped). Gives exactly what preprocessImage gives for the same pixels.
 */
export function preprocessPixels(image: { data: Uint8Array | Uint8ClampedArray; width: number; height: number; channels: 1 | 3 | 4 }, opts: PreprocessOptions): Float32Array {
  const { width, height, channels } = image;
  if (image.data.length !== width * height * channels) {
    throw new UsageError(`pixels: ${image.data.length} values is not ${width} x ${height} x ${channels}`);
  }
  const gray = opts.channelOrder === 'GRAY';
  if (gray !== (channels === 1)) throw new UsageError(`pixels have ${channels} channels, the model wants ${gray ? 'gray (1)' : 'colour (3 or 4)'}`);
  let data: Uint8Array;
  if (channels === 4) {
    data = new Uint8Array(width * height * 3);
    for (let i = 0, j = 0; i < data.length; i += 3, j += 4) {
      data[i] = image.data[j];
      data[i + 1] = image.data[j + 1];
      data[i + 2] = image.data[j + 2];
    }
  } else {
    data = image.data instanceof Uint8Array ? image.data : new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  }
  const img: DecodedImage = { data, width, height, channels: channels === 1 ? 1 : 3 };
  const crop = resizeAndCrop(img, opts.resize, opts.crop, opts.warp === true);
  return toModelInput(crop.data, opts.crop[0], opts.crop[1], img.channels, opts);
}
