/** Finds, compiles and instantiates the kernel module that fits this runtime (synchronously). */
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { asExports, type WasmExports } from './exports.ts';
import { hasRelaxedSimd, hasSimd } from './detect.ts';
import { wasmApi, type WasmMemory, type WasmModule } from './api.ts';

/** Which build was loaded. */
export type Variant = 'relaxed-simd' | 'simd';

/** A compiled kernel module bound to its shared memory. */
export interface LoadedKernels {
  readonly variant: Variant;
  readonly module: WasmModule;
  readonly memory: WasmMemory;
  readonly exports: WasmExports;
}

/** 4 GiB: the wasm32 limit; a shared memory reserves its maximum up front, but only virtually. */
const MAX_PAGES = 65536;

/** Path of a build's .wasm file (build/ at the package root). */
export const wasmPath = (variant: Variant): string =>
  fileURLToPath(new URL(`../../../build/kernels-${variant === 'relaxed-simd' ? 'relaxed' : 'simd'}.wasm`, import.meta.url));

/** Instantiates `module` on `memory` (the worker does the same on the same memory). */
export const instantiate = (module: WasmModule, memory: WasmMemory): WasmExports =>
  asExports(new wasmApi.Instance(module, { env: { memory } }));

/**
 * The relaxed-SIMD build where the runtime validates it, else the plain SIMD build (or the
 * `wanted` one, for tests); undefined when SIMD is missing, the wanted build is unsupported,
 * or the build files are absent (`npm run build` makes them).
 */
export const loadKernels = (wanted?: Variant): LoadedKernels | undefined => {
  if (!hasSimd()) return undefined;
  const relaxed = hasRelaxedSimd();
  if (wanted === 'relaxed-simd' && !relaxed) return undefined;
  const variant: Variant = wanted ?? (relaxed ? 'relaxed-simd' : 'simd');
  const path = wasmPath(variant);
  if (!existsSync(path)) return undefined;
  const module = new wasmApi.Module(readFileSync(path));
  const memory = new wasmApi.Memory({ initial: 1, maximum: MAX_PAGES, shared: true });
  return { variant, module, memory, exports: instantiate(module, memory) };
};
