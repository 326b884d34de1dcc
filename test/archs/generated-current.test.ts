import * as fs from 'fs';
import * as path from 'path';
import { generatedFiles, GENERATED_DIR_NAME } from '../../src/archs';

const DIR = path.resolve(__dirname, '..', '..', GENERATED_DIR_NAME);
const FIX = 'generated/ is stale: run `npm run generate` and commit the result';

describe('generated/ is current', () => {
  const expected = generatedFiles();
  const present = fs.existsSync(DIR) ? fs.readdirSync(DIR).filter((f) => f.endsWith('.prototxt')).sort() : [];

  it('holds exactly one .prototxt per registry architecture', () => {
    const missing = [...expected.keys()].filter((f) => !present.includes(f));
    const extra = present.filter((f) => !expected.has(f));
    if (missing.length || extra.length) {
      throw new Error(`${FIX} (missing: ${missing.join(', ') || 'none'}; extra: ${extra.join(', ') || 'none'})`);
    }
  });

  it('has every file equal to what the generators produce now', () => {
    const stale = present.filter((f) => expected.has(f) && fs.readFileSync(path.join(DIR, f), 'utf8') !== expected.get(f));
    if (stale.length) throw new Error(`${FIX} (differ: ${stale.join(', ')})`);
  });
});
