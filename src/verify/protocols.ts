/**
 * Named image protocols: how an evaluation resizes and crops an image for a model's input size.
 * Each is the geometry a published model family was evaluated with; the values that belong to the
 * model (mean, channel order, scale) come from its metadata or flags, not from the protocol.
 *
 * - `senet`: the SENet release (and ResNet's, VGG's): shorter side to 256, centre crop.
 * - `bvlc-227`: BVLC's reference nets (CaffeNet, AlexNet, SqueezeNet v1.0): the image warped to
 *   256x256 (convert_imageset's resize_height/resize_width, aspect ratio not kept), centre crop 227.
 * - `inception`: shorter side to crop/0.875 (299 -> 342, 320 -> 366), centre crop: the central
 *   87.5 % that Inception-style evaluations keep.
 * - `none`: no resize, centre crop (MNIST, CIFAR: images already at the input size).
 * - `fit`: shorter side to the crop size, centre crop.
 *
 * `auto` picks by input size: 224 and 227 -> shorter side 256 (`senet`), 299 and larger ->
 * `inception`, up to 64 (MNIST 28, CIFAR 32) -> `none`, anything else -> `fit`.
 */
import { UsageError } from '../errors';

export const PROTOCOLS = ['senet', 'bvlc-227', 'inception', 'none', 'fit'] as const;
export type ProtocolName = (typeof PROTOCOLS)[number];

/** How an image reaches the crop: its shorter side scaled to `size`, warped to size x size, or as it is. */
export type ResizeRule = { kind: 'shorter'; size: number } | { kind: 'warp'; size: number } | { kind: 'none' };

/** Largest input that `auto` treats as a small, unresized dataset image (MNIST, CIFAR). */
const SMALL_INPUT = 64;

/** The resize rule of a protocol for a crop of `crop` (height, width). */
export function protocolResize(name: ProtocolName, crop: readonly [number, number]): ResizeRule {
  const side = Math.max(crop[0], crop[1]);
  switch (name) {
    case 'senet':
      return { kind: 'shorter', size: 256 };
    case 'bvlc-227':
      return { kind: 'warp', size: 256 };
    case 'inception':
      return { kind: 'shorter', size: Math.round(side / 0.875) };
    case 'none':
      return { kind: 'none' };
    case 'fit':
      return { kind: 'shorter', size: Math.min(crop[0], crop[1]) };
  }
}

/** The protocol `auto` chooses for an input of height h and width w. */
export function autoProtocol(h: number, w: number): ProtocolName {
  if (h === w && (h === 224 || h === 227)) return 'senet';
  if (Math.min(h, w) >= 299) return 'inception';
  if (Math.max(h, w) <= SMALL_INPUT) return 'none';
  return 'fit';
}

/** `--protocol` text -> a protocol name, or 'auto'; UsageError listing the choices otherwise. */
export function parseProtocol(text: string | undefined): ProtocolName | 'auto' {
  if (text === undefined || text.toLowerCase() === 'auto') return 'auto';
  const t = text.toLowerCase();
  const found = PROTOCOLS.find((p) => p === t);
  if (found === undefined) throw new UsageError(`--protocol '${text}' must be one of auto, ${PROTOCOLS.join(', ')}`);
  return found;
}

/** One phrase for a resize rule, as reports print it. */
export function describeResize(rule: ResizeRule): string {
  if (rule.kind === 'none') return 'no resize';
  if (rule.kind === 'warp') return `warp to ${rule.size}x${rule.size}`;
  return `shorter side ${rule.size}`;
}
