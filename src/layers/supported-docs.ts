/**
 * docs/supported-layers.md, made from the handler table: every type, the targets it converts to
 * (one column per key of TARGET_NAMES, so a new target shows up by itself), its role and notes,
 * and what each conversion refuses and why. `npm run gen:docs` writes it; a test checks it is
 * current.
 */
import type { LayerRole } from './handler';
import { layerHandlers } from './registry';
import { CONVERT_TARGETS, TARGET_NAMES, roleOnlyTypes } from './roles';

export const SUPPORTED_LAYERS_DOC = 'docs/supported-layers.md';

const ROLE_TEXT: Record<LayerRole, string> = {
  input: 'input',
  data: 'data (replaced by the input)',
  'train-only': 'train-only (dropped)',
  dropped: 'dropped',
  computed: 'computed',
};

/** Table cells must not break the row. */
const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function supportedLayersMarkdown(): string {
  const targets = CONVERT_TARGETS;
  const out: string[] = [
    '# Supported layer types',
    '',
    '<!-- Generated from the layer handlers (src/layers) by `npm run gen:docs`; do not edit by hand. -->',
    '',
    'Every Caffe layer type the toolkit knows: shapes, parameters and multiply-adds (`senet summary`,',
    '`senet show`) for all of them; conversion to the targets marked. `input` and `data` layers become',
    "the model's input; `train-only` and `dropped` layers have no part in inference and are left out.",
    '',
    `| Type | Role | ${targets.map((t) => TARGET_NAMES[t]).join(' | ')} | Notes |`,
    `|---|---|${targets.map(() => ':---:|').join('')}---|`,
  ];
  const converts = (role: LayerRole): boolean => role === 'computed';
  for (const h of layerHandlers.values()) {
    const role = h.role ?? 'computed';
    const marks = targets.map((t) => (!converts(role) ? '' : h.convert?.[t] !== undefined ? 'yes' : 'no'));
    out.push(`| ${h.type} | ${ROLE_TEXT[role]} | ${marks.join(' | ')} | ${cell(h.docs?.notes ?? '')} |`);
  }
  out.push('');
  out.push('Known by role only (no shape rule; left out or replaced when converting a train net): ' + roleOnlyTypes().map(([type, role]) => `${type} (${role})`).join(', ') + '.');
  for (const t of targets) {
    const refused = [...layerHandlers.values()].flatMap((h) => (h.docs?.refused?.[t] ?? []).map((r) => `- ${h.type}: ${r}`));
    out.push('', `## What the ${TARGET_NAMES[t]} conversion refuses`, '');
    out.push(`A type marked \`no\` above is refused as a whole. Of the others, these cases are refused, naming the layer:`);
    out.push('', ...(refused.length > 0 ? refused : ['- nothing']));
  }
  out.push('');
  return out.join('\n');
}
