/**
 * A type's role and display category, read from its handler. Types without a handler (the
 * toolkit has no shape rule for them) may still appear in a train net that a user converts:
 * the few data layers and the losses below are known by role only, so the TEST net drops or
 * replaces them as Caffe's own inference would never run them.
 */
import type { ConvertTarget } from './handler';
import type { LayerCategory, LayerRole } from './handler';
import { layerHandlers } from './registry';

/** Data layers of Caffe forks and later releases, with no handler here. */
const ROLE_ONLY_TYPES: ReadonlyMap<string, LayerRole> = new Map([
  ['WindowData', 'data'],
  ['VideoData', 'data'],
  ['AnnotatedData', 'data'],
]);

/** The type's part in inference (see LayerRole). Caffe names every loss layer `...Loss`. */
export function layerRole(type: string): LayerRole {
  const h = layerHandlers.get(type);
  if (h !== undefined) return h.role ?? 'computed';
  return ROLE_ONLY_TYPES.get(type) ?? (type.endsWith('Loss') ? 'train-only' : 'computed');
}

/** The types known by role only, with their roles; any other `...Loss` type is train-only too. */
export function roleOnlyTypes(): [string, LayerRole][] {
  return [...ROLE_ONLY_TYPES, ['*Loss', 'train-only']];
}

/** Layers with no part in an inference graph. */
export function droppedAtInference(type: string): boolean {
  const role = layerRole(type);
  return role === 'train-only' || role === 'dropped';
}

/** The type's colour family on the net page. */
export function layerCategory(type: string): LayerCategory {
  return layerHandlers.get(type)?.category ?? 'other';
}

/** How messages and docs name each conversion target; a new target must add its name. */
export const TARGET_NAMES: { readonly [T in ConvertTarget]-?: string } = { tfjs: 'TF.js', onnx: 'ONNX' };

/** The targets, in docs order. */
export const CONVERT_TARGETS = Object.keys(TARGET_NAMES) as ConvertTarget[];
