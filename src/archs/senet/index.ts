import type { ArchEntry } from '../types';

/** The seven nets of the SENet release (filled in by the SENet generators). */
export const senetArchs: ArchEntry[] = [];
