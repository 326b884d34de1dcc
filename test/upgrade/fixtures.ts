import * as fs from 'fs';
import * as path from 'path';

export const FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'upgrade');

export interface CaffeRun {
  exit: number;
  log: string[];
}
export interface Hashed {
  sha256: string;
  bytes: number;
}
export interface OracleEntry {
  file: string;
  caffe: CaffeRun;
  output: boolean;
}

export function fixture(...parts: string[]): string {
  return path.join(FIXTURES, ...parts);
}

export function readJson<T>(name: string): T {
  return JSON.parse(fs.readFileSync(fixture(name), 'utf8')) as T;
}

export const oracle = (): OracleEntry[] => readJson<OracleEntry[]>('oracle.json');
