/** Finds, compiles and instantiates the kernel module that fits this runtime (synchronously). */
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { hasRelaxedSimd, hasSimd } from './detect.ts';
import { wasmApi, type WasmInstance, type WasmMemory, type WasmModule } from './api.ts';

/** Which build was loaded. */
export type Variant = 'relaxed-simd' | 'simd';

/** A compiled kernel module bound to its shared memory (createWasmKernels checks its exports). */
export interface LoadedKernels {
  readonly variant: Variant;
  readonly module: WasmModule;
  readonly memory: WasmMemory;
  readonly instance: WasmInstance;
}

/** 4 GiB: the wasm32 limit; a shared memory reserves its maximum up front, but only virtually. */
const MAX_PAGES = 65536;

/** Path of a build's .wasm file (build/ at the package root). */
export const wasmPath = (variant: Variant): string =>
  fileURLToPath(new URL(`../../../build/kernels-${variant === 'relaxed-simd' ? 'relaxed' : 'simd'}.wasm`, import.meta.url));

/**
 * The relaxed-SIMD build where the runtime validates it, else the plain SIMD build (or the
 * `wanted` one, for tests); undefined when SIMD is missing, the wanted build is unsupported,
 * or the build files are absent (`npm run build` makes them).
 */
export const loadKernels = (wanted?: Variant): LoadedKernels | undefined => {
  if (!hasSimd()) return undefined;
  const relaxed = hasRelaxedSimd();
  if (wanted === 'relaxed-simd' && !relaxed) return undefined;
  // relaxed SIMD where the runtime has it and it is built, else plain SIMD
  const variant: Variant = wanted ?? (relaxed && existsSync(wasmPath('relaxed-simd')) ? 'relaxed-simd' : 'simd');
  const path = wasmPath(variant);
  if (!existsSync(path)) return undefined;
  const module = new wasmApi.Module(readFileSync(path));
  const memory = new wasmApi.Memory({ initial: 1, maximum: MAX_PAGES, shared: true });
  // the helper's worker instantiates the same module on the same memory
  return { variant, module, memory, instance: new wasmApi.Instance(module, { env: { memory } }) };
};

/**
 * Why the fastest build (relaxed SIMD) will not load here, for a warning, or undefined when it
 * will: no WebAssembly SIMD, no relaxed SIMD, or a build file missing.
 */
export const slowerBecause = (): string | undefined => {
  if (!hasSimd()) return 'this runtime has no WebAssembly SIMD, so the reference TypeScript kernels run (about 10–50× slower)';
  const missing = (['relaxed-simd', 'simd'] as const).map(wasmPath).filter((p) => !existsSync(p));
  if (missing.length === 2) return `the WebAssembly builds are missing (${missing.join(', ')}; run \`npm run build\`), so the reference TypeScript kernels run (about 10–50× slower)`;
  if (!hasRelaxedSimd()) return 'this runtime has no relaxed SIMD (fused multiply-add), so the plain SIMD build runs (matrix products about 1.5× slower)';
  if (missing.length === 1) return `${missing[0]} is missing (run \`npm run build\`), so the plain SIMD build runs (matrix products about 1.5× slower)`;
  return undefined;
};
