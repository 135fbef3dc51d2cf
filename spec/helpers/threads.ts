/** Waiting for a wasm backend's helper thread in specs. */
import { expect } from 'chai';
import type { WasmKernels } from '../../lib/kernels/wasm/kernels.ts';

/** Resolves once k's helper thread runs jobs; fails the spec if it has not started within 10 s. */
export const untilThreadsReady = async (k: WasmKernels): Promise<void> => {
  const deadline = Date.now() + 10_000;
  while (!k.threadsReady()) {
    expect(Date.now(), 'helper thread did not start').to.be.below(deadline);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};
