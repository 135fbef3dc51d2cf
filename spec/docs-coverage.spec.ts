/** Every export of lib/ carries a doc comment (the API docs are generated from them). */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const lib = fileURLToPath(new URL('../lib/', import.meta.url));

/** `file:line name` of each exported declaration without a /** … *\/ comment right above it. */
export const undocumented = (source: string, file: string): string[] => {
  const lines = source.split('\n');
  const missing: string[] = [];
  const seen = new Set<string>();
  lines.forEach((line, i) => {
    const m = /^export (?:declare )?(?:async )?(?:const|let|function\*?|class|interface|type|enum|abstract class) +([A-Za-z_$][\w$]*)/.exec(line);
    // an overload's later signatures share the first one's comment
    if (m === null || seen.has(m[1])) return;
    seen.add(m[1]);
    let j = i - 1;
    while (j >= 0 && (lines[j].trim() === '' || lines[j].trim().startsWith('//'))) j--;
    if (j < 0 || !lines[j].trim().endsWith('*/')) missing.push(`${file}:${i + 1} ${m[1]}`);
  });
  return missing;
};

describe('doc comments', () => {
  it('every exported declaration in lib/ has one', () => {
    const files = readdirSync(lib, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.includes('assembly/'));
    const missing = files.flatMap((f) => undocumented(readFileSync(join(lib, f), 'utf8'), `lib/${f}`));
    expect(missing, `undocumented exports:\n${missing.join('\n')}`).to.deep.equal([]);
  });

  it('the check finds a missing one and accepts a documented one', () => {
    expect(undocumented('/** Yes. */\nexport const a = 1;\n\nexport const b = 2;\n', 'x.ts')).to.deep.equal(['x.ts:4 b']);
  });
});
