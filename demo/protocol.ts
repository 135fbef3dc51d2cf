/** The messages between the demo page and its workers (one training worker, and ensemble members). */
import type { KernelsInfo } from '../lib/browser.ts';

/** The models the page trains. */
export type DemoModel = 'mlp' | 'simple-convnet';

/** Page → worker. */
export type ToWorker =
  | { readonly type: 'init'; readonly wasmUrl: string; readonly assetUrl: string; readonly threads?: number }
  | { readonly type: 'train'; readonly model: DemoModel; readonly epochs: number; readonly seed: number; readonly trainLimit?: number }
  | { readonly type: 'stop' }
  | { readonly type: 'pretrained'; readonly url: string }
  | { readonly type: 'evaluate' }
  | { readonly type: 'predict'; readonly seq: number; readonly image: Float32Array }
  | { readonly type: 'test-probabilities' }
  | { readonly type: 'average'; readonly members: readonly Float32Array[]; readonly rows: number; readonly cols: number; readonly labels: Int32Array }
  | { readonly type: 'load-model'; readonly name: string; readonly bytes: Uint8Array }
  | { readonly type: 'save-model' };

/** Worker → page. */
export type FromWorker =
  | { readonly type: 'ready'; readonly info: KernelsInfo; readonly train: number; readonly test: number; readonly seconds: number }
  | { readonly type: 'step'; readonly epoch: number; readonly step: number; readonly stepsPerEpoch: number; readonly loss: number; readonly imagesPerSecond: number }
  | { readonly type: 'epoch'; readonly epoch: number; readonly meanLoss: number; readonly trainAccuracy: number; readonly testAccuracy: number | null; readonly seconds: number; readonly imagesPerSecond: number }
  | { readonly type: 'trained'; readonly model: string; readonly testAccuracy: number; readonly imagesPerSecond: number; readonly seconds: number; readonly paramsSha256: string; readonly stopped: boolean }
  | { readonly type: 'evaluated'; readonly model: string; readonly accuracy: number; readonly count: number; readonly seconds: number }
  | { readonly type: 'prediction'; readonly seq: number; readonly model: string; readonly probabilities: readonly number[] }
  | { readonly type: 'probabilities'; readonly probabilities: Float32Array; readonly rows: number; readonly cols: number; readonly labels: Int32Array }
  | { readonly type: 'averaged'; readonly accuracy: number }
  | { readonly type: 'model-loaded'; readonly model: string; readonly description: string }
  | { readonly type: 'model-saved'; readonly bytes: Uint8Array }
  | { readonly type: 'error'; readonly message: string };
