/**
 * What every self-contained senet HTML page shares: the templates folder, one Handlebars
 * environment with the `page-head` partial (charset, CSP allowing inline code only, title, styles),
 * the shared stylesheet (templates/base.css) in front of each page's own, and escaping helpers.
 */
import * as fs from 'fs';
import * as path from 'path';
import type HandlebarsModule from 'handlebars';

let loaded: typeof HandlebarsModule | undefined;

/** Handlebars, loaded on first use: only the page-writing commands need it, not every CLI start. */
function hbs(): typeof HandlebarsModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded ??= require('handlebars') as typeof HandlebarsModule;
  return loaded;
}

/** templates/ at the package root: two levels up from src/report or dist/report. */
export function templatesDir(): string {
  return path.resolve(__dirname, '..', '..', 'templates');
}

function readTemplate(file: string): string {
  return fs.readFileSync(path.join(templatesDir(), file), 'utf8');
}

let env: typeof HandlebarsModule | undefined;

/** An isolated Handlebars environment (partials registered once, no global state touched). */
function handlebars(): typeof HandlebarsModule {
  if (env) return env;
  env = hbs().create();
  env.registerPartial('page-head', readTemplate('page-head.hbs'));
  return env;
}

/**
 * Renders templates/<file> with `context` (strict: a missing field is an error, not an empty
 * string). Pages include `{{> page-head}}`, which reads `title` and `css` from the context.
 */
export function renderTemplate(file: string, context: Record<string, unknown>): string {
  const hb = handlebars();
  return hb.compile(readTemplate(file), { strict: true })(context);
}

/** templates/base.css followed by the given page stylesheets, ready for `{{css}}`. */
export function pageCss(...files: string[]): HandlebarsModule.SafeString {
  return new (hbs().SafeString)(['base.css', ...files].map(readTemplate).join('\n'));
}

/** A templates/ file inserted verbatim (a page's script). */
export function rawTemplate(file: string): HandlebarsModule.SafeString {
  return new (hbs().SafeString)(readTemplate(file));
}

/** Trusted markup made here (SVG), inserted unescaped. */
export function safeHtml(html: string): HandlebarsModule.SafeString {
  return new (hbs().SafeString)(html);
}

/** Text and attribute escaping for markup built in code. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON safe inside a <script> element, ready for `{{data}}`. */
export function scriptJson(v: unknown): HandlebarsModule.SafeString {
  return new (hbs().SafeString)(
    JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029'),
  );
}
