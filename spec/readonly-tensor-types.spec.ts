/**
 * Immutability is a compile-time guarantee: runs TypeScript's compiler on a fixture of misuses
 * (spec/types/readonly-tensor.fixture.ts) and checks that exactly the lines marked `// error TSnnnn`
 * fail, each with that code, so the readonly tensor has no writable view and reading still compiles.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const fixture = 'spec/types/readonly-tensor.fixture.ts';

/** "line TSnnnn" for each marked line of the fixture. */
const expected = (): string[] =>
  readFileSync(join(root, fixture), 'utf8').split('\n').flatMap((text, i) => {
    const m = /\/\/ error (TS\d+)$/.exec(text);
    return m === null ? [] : [`${i + 1} ${m[1]}`];
  });

/** "line TSnnnn" for each error the compiler reports in the fixture (errors elsewhere are others' concern). */
const compile = (): string[] => {
  let out: string;
  try {
    out = execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', 'spec/types/tsconfig.json', '--pretty', 'false'],
      { cwd: root, encoding: 'utf8' });
  } catch (err) {
    out = (err as { stdout?: string }).stdout ?? '';
  }
  return out.split('\n').flatMap((line) => {
    const m = /^(.+)\((\d+),\d+\): error (TS\d+)/.exec(line);
    return m !== null && m[1].replaceAll('\\', '/').endsWith(fixture) ? [`${m[2]} ${m[3]}`] : [];
  });
};

describe('readonly tensor (types)', function () {
  this.timeout(60000);

  it('refuses every road to a writable view and the internal accessor, and compiles every read', () => {
    const want = expected();
    expect(want.length).to.be.at.least(15);
    expect(compile()).to.deep.equal(want);
  });
});
