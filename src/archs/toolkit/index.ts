import type { ArchEntry } from '../types';

/** The seed toolkit's families (filled in by the toolkit generators). */
export const toolkitArchs: ArchEntry[] = [];
