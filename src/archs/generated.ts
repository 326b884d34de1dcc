/**
 * The contents of the shipped `generated/` folder: every registry architecture in the official
 * flavour, deploy phase, with its defaults. `tools/generate-all.js` writes it; a test checks it is
 * current.
 */
import { archs, resolveOptions } from './registry';

export const GENERATED_DIR_NAME = 'generated';

/** `<id>.prototxt` -> text, in registry order. */
export function generatedFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of archs) {
    const opts = resolveOptions(entry, { flavor: 'official', phase: 'deploy' });
    files.set(`${entry.id}.prototxt`, entry.build(opts).toPrototxt());
  }
  return files;
}
