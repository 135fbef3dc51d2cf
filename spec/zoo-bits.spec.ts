/** Each zoo model runs the same kernels (fusions included) and computes the same bits as the code of a7717cf. */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { activeKernels } from '../lib/kernels/backend.ts';
import { zooBits, type ModelBits } from './helpers/zoo-bits.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
// recorded on wasm-relaxed-simd with `tsx spec/helpers/zoo-bits.ts <checkout of a7717cf>`
const recorded = JSON.parse(readFileSync(new URL('./fixtures/zoo-bits-a7717cf.json', import.meta.url), 'utf8')) as Record<string, ModelBits>;

describe('model zoo: the same kernels and bits as before the layer refactor', function () {
  this.timeout(60_000);
  let now: Record<string, ModelBits>;
  before(async () => { now = await zooBits(root); });

  it('runs on the kernels the figures were recorded on', () => expect(activeKernels().name).to.equal('wasm-relaxed-simd'));
  for (const name of Object.keys(recorded)) {
    it(`${name}: same kernel calls (fused conv → pool, batch norm → ReLU) and the same outputs, gradients and state`, () => {
      expect(now[name]).to.deep.equal(recorded[name]);
    });
  }
});
