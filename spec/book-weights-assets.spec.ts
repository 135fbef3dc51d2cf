import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bookNetworks, loadNpzParams } from '../lib/data/book-weights.ts';
import { fromSplit } from '../lib/data/datasets.ts';
import { loadMnist } from '../lib/data/mnist.ts';
import { parseNpz } from '../lib/data/npz-bytes.ts';
import { key } from '../lib/random.ts';
import { evaluateAccuracy } from '../lib/train/model.ts';

const asset = (name: string): string => fileURLToPath(new URL(`../assets/book-weights/${name}`, import.meta.url));
const shared = (name: string): string => fileURLToPath(new URL(`../../shared/fixtures/dlfs/${name}`, import.meta.url));
const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

const FILES = { 'deep-convnet': 'deep_convnet_2016.npz', 'simple-convnet': 'simple_convnet_2016.npz' } as const;

describe("the book's weights kept in the repository (assets/book-weights)", function () {
  // DeepConvNet on 10k test images: ~2 s with the WebAssembly kernels
  this.timeout(60_000);

  it("are byte-identical to ../shared's fixtures", () => {
    for (const file of Object.values(FILES)) expect(sha256(asset(file)), file).to.equal(sha256(shared(file)));
  });

  it("carry the book repository's MIT licence and their source", () => {
    const licence = readFileSync(asset('LICENSE'), 'utf8');
    expect(licence).to.match(/^The MIT License \(MIT\)\n\nCopyright \(c\) 2016 Koki Saitoh\n/);
    expect(licence).to.include('The above copyright notice and this permission notice shall be included in all');
    const readme = readFileSync(asset('README.md'), 'utf8');
    for (const fact of ['oreilly-japan/deep-learning-from-scratch', '0dda3d1', 'ch07/params.pkl', 'ch08/deep_convnet_params.pkl', '98.90%', '99.35%']) {
      expect(readme, fact).to.include(fact);
    }
  });

  it('are not shipped in the npm package', () => {
    const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../package.json', import.meta.url)), 'utf8')) as { files: string[] };
    expect(pkg.files.filter((f) => f.startsWith('assets') || f === '*' || f.startsWith('**'))).to.deep.equal([]);
  });

  const test = fromSplit(loadMnist()).test;
  for (const [model, file] of Object.entries(FILES) as [keyof typeof FILES, string][]) {
    const want = model === 'deep-convnet' ? 0.9935 : 0.989;
    it(`${model}: parsed from bytes (the browser path) gives exactly the book's ${(want * 100).toFixed(2)}%`, () => {
      const { build, mapping, inputShape } = bookNetworks[model];
      const net = build();
      const init = net.init(key(0), inputShape);
      const params = loadNpzParams(parseNpz(new Uint8Array(readFileSync(asset(file))), file), mapping, init.params, file);
      expect(evaluateAccuracy(net, { params, state: init.state }, test)).to.equal(want);
    });
  }
});
