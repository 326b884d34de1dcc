/**
 * The header comments of a prototxt: whole-line `#` comments at the top level before the first
 * message block (`layer {`). The parser drops comments; `senet fmt` keeps these few, printed
 * after the `name:` line as generate writes them (the official SENet files carry
 * `# mean_value: 104, 117, 123` there), so a generated file is already canonical.
 */
export function headerComments(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('#')) out.push(line.slice(1).replace(/^ /, ''));
    // A '{' outside a comment opens the first block; a string cannot hold a raw newline, and a
    // header line's strings (name: "...") are simple, so looking for '{' is enough here.
    else if (line.includes('{')) break;
  }
  return out;
}
