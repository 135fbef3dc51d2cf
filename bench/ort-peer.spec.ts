import { expect } from 'chai';
import { inferenceCases, inferenceInputs, inferenceModels, inferenceNetwork, ortInference, ortLabel, tenfoldInference } from '../lib/bench/inference-cases.ts';

// The bench's inference rows time ONNX Runtime Web on the network exported from tenfold's: these
// specs hold its logits to tenfold's, so the ORT rows time the same computation (nothing is timed).

const argmaxRows = (d: ArrayLike<number>, k: number): number[] =>
  Array.from({ length: d.length / k }, (_, r) => {
    let best = 0;
    for (let j = 1; j < k; j++) if (d[r * k + j] > d[r * k + best]) best = j;
    return best;
  });

describe('bench: the ONNX Runtime Web inference peer', function () {
  this.timeout(30000);

  it('lists one tenfold and one ORT inference row per model, and no ORT rows without its thread count', () => {
    const labels = (cs: ReturnType<typeof inferenceCases>): string[] => cs.map((c) => `${c.kernel} ${c.shape} ${c.library} ${c.threads}`);
    expect(labels(inferenceCases(2, 1))).to.deep.equal(inferenceModels.flatMap((m) =>
      [`inference ${m} batch 100 tenfold 2`, `inference ${m} batch 100 ${ortLabel} 1`]));
    expect(labels(inferenceCases(2))).to.deep.equal(inferenceModels.map((m) => `inference ${m} batch 100 tenfold 2`));
  });

  it('uses the book\'s trained weights in the repository, and different input batches per call', () => {
    for (const m of inferenceModels) expect(inferenceNetwork(m).book, m).to.equal(true);
    const [a, b] = inferenceInputs('simple-convnet');
    expect(a.length).to.equal(100 * 28 * 28);
    expect(a.some((v, i) => v !== b[i])).to.equal(true);
  });

  for (const model of inferenceModels) {
    it(`${model}: ORT's logits match tenfold's on the same batch (same argmax, max |Δ| ≤ 1e-4 × max |logit|)`, async () => {
      const ort = await ortInference(model, 1);
      try {
        const ours = tenfoldInference(model)(0);
        const theirs = await ort.run(0);
        expect(ours.shape).to.deep.equal([100, 10]);
        expect(theirs.length).to.equal(100 * 10);
        let maxDelta = 0;
        let maxLogit = 0;
        for (let i = 0; i < theirs.length; i++) {
          maxDelta = Math.max(maxDelta, Math.abs(theirs[i] - ours.data[i]));
          maxLogit = Math.max(maxLogit, Math.abs(ours.data[i]));
        }
        expect(maxLogit).to.be.above(0);
        expect(maxDelta).to.be.at.most(1e-4 * maxLogit);
        expect(argmaxRows(theirs, 10)).to.deep.equal(argmaxRows(ours.data, 10));
        // a different batch gives different logits: the cases really cycle over inputs
        const other = await ort.run(1);
        expect(other.some((v, i) => v !== theirs[i])).to.equal(true);
      } finally {
        await ort.release();
      }
    });
  }

  it('the ORT case\'s timed call runs, returning a Promise the harness awaits', async () => {
    const c = inferenceCases(2, 1).find((x) => x.library === ortLabel && x.shape.startsWith('simple-convnet'));
    if (c === undefined) expect.fail('no simple-convnet ORT case');
    const call = await c.setup();
    try {
      const result = call();
      expect(result).to.be.instanceOf(Promise);
      await result;
    } finally {
      await c.teardown?.();
    }
  });
});
