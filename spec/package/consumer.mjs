// A plain-JavaScript user of the installed tarball: every entry point, then the whole workflow on 1,000 MNIST images.
// Usage: node consumer.mjs WORKDIR [--kill-after-first-checkpoint]
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  activeKernels, adam, affine, conv2d, fitAsync, initTrainState, key, maxPool2d, reluLayer, sequential, softmaxCrossEntropy, flatten,
} from 'tenfold';
import { headOfDataset, loadDataset, splitValidation } from 'tenfold/data';
import { augmentationFor } from 'tenfold/augment';
import { simpleConvNet } from 'tenfold/models';
import { checkpointOf, findResumable, loadModel, saveCheckpoint, saveModel, trainStateOf } from 'tenfold/checkpoint';
import { planEnsemble, trainEnsemble, writeEnsembleReport } from 'tenfold/ensemble';
import { progress, writeReport } from 'tenfold/report';
import { evaluateModel } from 'tenfold';

const [dir, killFlag] = process.argv.slice(2);
const log = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
log({ kernels: activeKernels().name, entries: [simpleConvNet, progress, writeReport].every((f) => typeof f === 'function') });

// 1,000 training images, 200 of them held out; augmentation from the dataset's preset
const mnist = loadDataset('mnist');
const { train, validation } = splitValidation(headOfDataset(mnist.train, 1000), 200, key(1));
const augment = augmentationFor('mnist', ['default']);
const net = sequential(conv2d(8, 5, 5, { activation: 'relu' }), maxPool2d(2), flatten(), affine(32), reluLayer(), affine(10));
const model = { net, loss: softmaxCrossEntropy };
const opt = adam(0.003);
const ckpt = join(dir, 'ckpt');
mkdirSync(ckpt, { recursive: true });
const found = findResumable(ckpt);
const start = found ? trainStateOf(found.checkpoint) : initTrainState(model, opt, key(2), mnist.inputShape);
const history = found ? found.checkpoint.history : undefined;
const run = await fitAsync(model, opt, start, {
  train, validation, augment, epochs: 4, batchSize: 50,
  onEpoch: (s, h) => {
    saveCheckpoint(ckpt, checkpointOf(s, h));
    if (killFlag === '--kill-after-first-checkpoint') process.kill(process.pid, 'SIGKILL');
  },
}, history);
const test = evaluateModel(model, run.state, headOfDataset(mnist.test, 1000));
log({ resumed: found !== undefined, epochs: run.history.epochs.length, validationAccuracy: run.history.epochs.at(-1).validationAccuracy, testAccuracy: test.accuracy });

// a custom sequential saved and reloaded without this code
const file = join(dir, 'custom.tenfold');
saveModel(file, { net, variables: run.state, inputShape: mnist.inputShape, classNames: mnist.classNames, preprocessing: { scale: 1 / 255, offset: 0 } });
const back = loadModel(file);
log({ reloadedAccuracy: evaluateModel({ net: back.net, loss: softmaxCrossEntropy }, back.variables, headOfDataset(mnist.test, 1000)).accuracy });

// a 2-member ensemble on worker threads with progress callbacks, and its report
const out = join(dir, 'ensemble');
mkdirSync(out, { recursive: true });
const manifest = planEnsemble('quick', 3, { members: 2, hidden: [16] });
let steps = 0;
const ens = await trainEnsemble(out, manifest, { workers: 2, onEvent: (e) => { if (e.kind === 'step') steps++; } });
if (ens.stopped) throw new Error('the ensemble stopped');
await writeEnsembleReport(join(out, 'report.html'), { manifest, out, outcomes: ens.outcomes, summary: ens.summary, data: loadDataset('mnist') });
log({ ensembleAccuracy: ens.summary.ensembleAccuracy, members: ens.outcomes.length, progressSteps: steps });
