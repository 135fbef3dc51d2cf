/**
 * The WebAssembly SIMD backend in a browser: nothing loads synchronously there, so `ready()`
 * fetches and compiles the build that fits the page, and until it resolves a float32 op throws.
 * Cross-origin-isolated pages get the shared-memory build and a helper Web Worker; other pages
 * the unshared build on one thread. package.json's "browser" map puts this file in place of index.ts.
 */
import type { Kernels } from '../kernels.ts';
import { hardwareThreads } from '../../platform/host.ts';
import { createWasmKernels, type WasmKernels } from './kernels.ts';
import { buildFile, fetchKernels, packagedBuildUrl } from './load.browser.ts';
import type { Variant } from './load.ts';
import { validatesRelaxedSimd, validatesSimd } from './probes.ts';

/** Where and how `ready()` loads the kernels. */
export interface ReadyOptions {
  /**
   * The folder the .wasm builds are served from (a URL ending in `/`, absolute or relative to the
   * page); default: the package's build/ folder beside this module, which bundlers that emit
   * `new URL(…, import.meta.url)` assets (webpack 5, Vite) serve themselves.
   */
  readonly wasmUrl?: string;
  /** Threads for large kernels: 1, or 2 (the default where the page is cross-origin isolated and has 2 cores). */
  readonly threads?: number;
  /** See WasmOptions.winograd (default true). */
  readonly winograd?: boolean;
  /** Milliseconds to wait for the helper thread to start (default 10 000); after that the kernels run on one thread. */
  readonly helperTimeoutMs?: number;
}

/** What `ready()` loaded. */
export interface KernelsInfo {
  /** The kernels' name, as activeKernels().name: `wasm-relaxed-simd`, `wasm-simd` or `reference`. */
  readonly kernels: string;
  /** Threads large kernels run on (2 with the helper Web Worker). */
  readonly threads: number;
  /** Whether the wasm memory is a SharedArrayBuffer (the shared-memory build). */
  readonly sharedMemory: boolean;
  /** Whether the page (or worker) is cross-origin isolated. */
  readonly crossOriginIsolated: boolean;
  /** The build's URL (undefined for the reference kernels). */
  readonly url: string | undefined;
}

let loaded: WasmKernels | undefined;
let unsupported: string | undefined;
let loading: Promise<KernelsInfo> | undefined;

const isolated = (): boolean => (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true
  && typeof SharedArrayBuffer === 'function';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => { setTimeout(resolve, ms); });

/** Polls until the helper thread has its instance, or the time is up. */
const helperStarted = async (kernels: WasmKernels, timeoutMs: number): Promise<boolean> => {
  const until = performance.now() + timeoutMs;
  while (!kernels.threadsReady()) {
    if (performance.now() > until) return false;
    await sleep(5); // the worker starts only while this thread yields to its event loop
  }
  return true;
};

const load = async (options: ReadyOptions): Promise<KernelsInfo> => {
  const coi = isolated();
  if (!validatesSimd()) {
    unsupported = 'this browser has no WebAssembly SIMD, so the reference TypeScript kernels run (about 10–50× slower)';
    return { kernels: 'reference', threads: 1, sharedMemory: false, crossOriginIsolated: coi, url: undefined };
  }
  const variant: Variant = validatesRelaxedSimd() ? 'relaxed-simd' : 'simd';
  const wanted = options.threads ?? (coi && hardwareThreads() >= 2 ? 2 : 1);
  if (wanted !== 1 && wanted !== 2) throw new Error(`tenfold: ready({ threads }) must be 1 or 2, got ${wanted}`);
  if (wanted === 2 && !coi) throw new Error('tenfold: ready({ threads: 2 }) needs a cross-origin-isolated page (serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)');
  const file = buildFile(variant, coi);
  const url = options.wasmUrl === undefined ? packagedBuildUrl(variant, coi)
    : new URL(file, new URL(options.wasmUrl, (globalThis as { location?: { href: string } }).location?.href)).href;
  const kernels = createWasmKernels(await fetchKernels(url, variant, coi), wanted, { winograd: options.winograd ?? true });
  const threads = wanted === 2 && await helperStarted(kernels, options.helperTimeoutMs ?? 10_000) ? 2 : 1;
  loaded = kernels;
  return { kernels: kernels.name, threads, sharedMemory: coi, crossOriginIsolated: coi, url };
};

/**
 * Loads the kernels for this page or worker: call it, and await it, before the first float32 op
 * (and once per worker). Later calls return the first call's promise, whatever their options.
 */
export const ready = (options: ReadyOptions = {}): Promise<KernelsInfo> => {
  // a failed load (a wrong wasmUrl, say) may be retried
  loading ??= load(options).catch((e: unknown) => { loading = undefined; throw e; });
  return loading;
};

/** The kernels ready() loaded; undefined (the reference kernels) where the browser has no SIMD; throws before ready(). */
export const loadWasmKernels = (): Kernels | undefined => {
  if (loaded !== undefined || unsupported !== undefined) return loaded;
  throw new Error('tenfold: the kernels are not loaded yet: in a browser, await ready() (from tenfold) before the first tensor op');
};

/** Why the fast kernels do not run here, for a warning, or undefined. */
export const slowerBecause = (): string | undefined => unsupported;
