/**
 * Fetches, compiles and instantiates a kernel build in a browser, asynchronously. Four builds:
 * relaxed or plain SIMD, each with a shared memory (for cross-origin-isolated pages, where a
 * helper Web Worker can join in) or with an unshared one (one thread, for any page).
 */
import type { LoadedKernels, Variant } from './load.ts';
import type { WasmInstance, WasmMemory, WasmModule } from './api.ts';

/** The asynchronous half of the WebAssembly JS API and fetch, typed here (no DOM lib). */
interface AsyncWasm {
  readonly WebAssembly: {
    compile(bytes: ArrayBuffer): Promise<WasmModule>;
    instantiate(module: WasmModule, imports: object): Promise<WasmInstance>;
    readonly Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
  };
  fetch(url: string): Promise<{ readonly ok: boolean; readonly status: number; arrayBuffer(): Promise<ArrayBuffer> }>;
}

/** 4 GiB, as in Node: a shared memory reserves its maximum, but only virtually. */
const MAX_PAGES = 65536;

/** A build's file name: `kernels-relaxed.wasm`, `kernels-simd-unshared.wasm`, … */
export const buildFile = (variant: Variant, shared: boolean): string =>
  `kernels-${variant === 'relaxed-simd' ? 'relaxed' : 'simd'}${shared ? '' : '-unshared'}.wasm`;

/**
 * The package's own copy of a build, beside this module (dist/kernels/wasm → build/). Written
 * out as four literals so that bundlers that emit `new URL('…', import.meta.url)` assets see them.
 */
export const packagedBuildUrl = (variant: Variant, shared: boolean): string => {
  const urls: Readonly<Record<string, () => URL>> = {
    'kernels-relaxed.wasm': () => new URL('../../../build/kernels-relaxed.wasm', import.meta.url),
    'kernels-simd.wasm': () => new URL('../../../build/kernels-simd.wasm', import.meta.url),
    'kernels-relaxed-unshared.wasm': () => new URL('../../../build/kernels-relaxed-unshared.wasm', import.meta.url),
    'kernels-simd-unshared.wasm': () => new URL('../../../build/kernels-simd-unshared.wasm', import.meta.url),
  };
  return urls[buildFile(variant, shared)]().href;
};

/** Fetches and compiles the build at `url` and instantiates it on a fresh memory (shared or not). */
export const fetchKernels = async (url: string, variant: Variant, shared: boolean): Promise<LoadedKernels> => {
  const g = globalThis as unknown as AsyncWasm;
  const response = await g.fetch(url).catch((e: unknown) => {
    throw new Error(`tenfold: cannot fetch the kernels at ${url}: ${e instanceof Error ? e.message : String(e)}`);
  });
  if (!response.ok) throw new Error(`tenfold: fetching the kernels at ${url} gave HTTP ${response.status} (serve the .wasm files there, or pass ready({ wasmUrl }))`);
  const module = await g.WebAssembly.compile(await response.arrayBuffer());
  const memory = new g.WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES, shared });
  const instance = await g.WebAssembly.instantiate(module, { env: { memory } });
  return { variant, module, memory, instance };
};
