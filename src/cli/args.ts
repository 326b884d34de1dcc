/** Parsers for option values shared by several commands. */
import { UsageError } from '../errors';

/** "104,117,123" -> [104, 117, 123]; UsageError naming the option for anything else. */
export function parseNumberList(text: string, option: string, integers: boolean): number[] {
  const parts = text.split(',').map((s) => s.trim());
  const nums = parts.map(Number);
  if (parts.some((p) => p === '') || nums.some((n) => !Number.isFinite(n) || (integers && (!Number.isInteger(n) || n <= 0)))) {
    throw new UsageError(`--${option} '${text}' must be a comma-separated list of ${integers ? 'positive integers' : 'numbers'}`);
  }
  return nums;
}

/** `--input-shape N,C,H,W`, or undefined when the option was not given. */
export function parseInputShape(text: string | undefined): number[] | undefined {
  if (text === undefined) return undefined;
  const shape = parseNumberList(text, 'input-shape', true);
  if (shape.length !== 4) throw new UsageError(`--input-shape needs 4 values N,C,H,W, got ${shape.length}`);
  return shape;
}
