/**
 * Text from input as messages show it: control and bidirectional-override characters escaped (a
 * name cannot rewrite the terminal or reorder what is shown), long runs shortened so a message
 * quotes at most about 200 characters of any one piece of input, and the whole message bounded.
 */

// C0/C1 controls and DEL, and the bidi controls (embeddings, overrides, isolates, marks).
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const RUN = 200;
const TOTAL = 2000;

function escapeChar(c: string): string {
  const cp = c.codePointAt(0)!;
  return cp <= 0xff ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u${cp.toString(16).padStart(4, '0')}`;
}

/** `s` with unsafe characters escaped and runs of more than ~200 non-space characters shortened. */
export function displayText(s: string): string {
  let t = s;
  if (t.length > TOTAL * 4) t = `${t.slice(0, TOTAL * 2)}${t.slice(-TOTAL)}`; // bound the work first
  t = t.replace(UNSAFE, escapeChar);
  t = t.replace(/\S{201,}/g, (run) => `${run.slice(0, RUN - 40)}...(${run.length - RUN + 20} characters)...${run.slice(-20)}`);
  if (t.length > TOTAL) t = `${t.slice(0, TOTAL - 300)} ...(${t.length - TOTAL} characters)... ${t.slice(-280)}`;
  return t;
}
