/**
 * A small ensemble in Web Workers: each member is a training worker of its own on one thread
 * (the page's cores are shared between members, as `tenfold ensemble` gives each worker one),
 * trained from its own seed; the first member's worker then averages everyone's test-set
 * probabilities with the library's averageProbabilities.
 */
import type { DemoModel, FromWorker, ToWorker } from './protocol.ts';

/** What to train. */
export interface EnsembleRequest {
  readonly members: number;
  readonly model: DemoModel;
  readonly epochs: number;
  readonly wasmUrl: string;
  readonly assetUrl: string;
}

/** Each member's test accuracy, the averaged ensemble's, and the wall time. */
export interface EnsembleResult {
  readonly memberAccuracies: readonly number[];
  readonly ensembleAccuracy: number;
  readonly seconds: number;
}

/** A worker that answers one request at a time: `ask` posts and resolves with the first reply of the wanted type. */
const member = (name: string) => {
  const w = new Worker('train-worker.js', { type: 'module', name });
  const ask = <T extends FromWorker['type']>(m: ToWorker, want: T, transfer: Transferable[] = []): Promise<Extract<FromWorker, { type: T }>> =>
    new Promise((resolve, reject) => {
      w.onmessage = (e: MessageEvent<FromWorker>) => {
        if (e.data.type === 'error') reject(new Error(`${name}: ${e.data.message}`));
        else if (e.data.type === want) resolve(e.data as Extract<FromWorker, { type: T }>);
      };
      w.onerror = (e) => reject(new Error(`${name}: ${e.message}`));
      w.postMessage(m, transfer);
    });
  return { ask, stop: () => w.terminate() };
};

/** Trains the members side by side, then averages them. */
export const runEnsemble = async (r: EnsembleRequest): Promise<EnsembleResult> => {
  if (!(Number.isInteger(r.members) && r.members >= 2 && r.members <= 8)) throw new Error(`members must be 2 to 8, got ${r.members}`);
  const started = performance.now();
  const workers = Array.from({ length: r.members }, (_, i) => member(`ensemble member ${i + 1}`));
  try {
    const outputs = await Promise.all(workers.map(async (w, i) => {
      await w.ask({ type: 'init', wasmUrl: r.wasmUrl, assetUrl: r.assetUrl, threads: 1 }, 'ready');
      const trained = await w.ask({ type: 'train', model: r.model, epochs: r.epochs, seed: i + 1 }, 'trained');
      const p = await w.ask({ type: 'test-probabilities' }, 'probabilities');
      return { accuracy: trained.testAccuracy, ...p };
    }));
    const [first] = outputs;
    const averaged = await workers[0].ask({ type: 'average', members: outputs.map((o) => o.probabilities), rows: first.rows, cols: first.cols, labels: first.labels }, 'averaged');
    return { memberAccuracies: outputs.map((o) => o.accuracy), ensembleAccuracy: averaged.accuracy, seconds: (performance.now() - started) / 1000 };
  } finally {
    workers.forEach((w) => w.stop());
  }
};
