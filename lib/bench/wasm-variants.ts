/** Rows beside the default kernels on other wasm settings (other options, one thread). */
import { activeKernels, setKernels } from '../kernels/backend.ts';
import { loadKernels } from '../kernels/wasm/load.ts';
import { createWasmKernels, type WasmOptions } from '../kernels/wasm/kernels.ts';

/** Whether tenfold runs the wasm kernels (rows beside them need them). */
export const wasmActive = (): boolean => activeKernels().name.startsWith('wasm');

/**
 * A wrapper that runs a function on a wasm backend of the active build with `threads` and
 * `options` (its helper thread started), for rows beside the default backend's.
 */
export const runningOn = async (library: string, threads: number, options: WasmOptions = {}): Promise<<T>(f: () => T) => T> => {
  const loaded = loadKernels(activeKernels().name === 'wasm-simd' ? 'simd' : undefined);
  if (loaded === undefined) throw new Error(`${library} needs the wasm kernels (npm run build)`);
  const kernels = createWasmKernels(loaded, threads, options);
  for (let i = 0; threads > 1 && !kernels.threadsReady() && i < 500; i++) await new Promise((r) => setTimeout(r, 10));
  return <T>(f: () => T): T => {
    const previous = setKernels(kernels);
    try { return f(); } finally { setKernels(previous); }
  };
};
