/** Feature detection by validating tiny hand-assembled modules (no compilation, no I/O). */
import v8 from 'node:v8';
import { wasmApi } from './api.ts';

/** A module with one function `() -> v128` whose body is `body` followed by `end`. */
const moduleWith = (body: readonly number[]): Uint8Array => {
  const code = [0x00, ...body, 0x0b]; // no locals, body, end
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
    0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type section: () -> v128
    0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
    0x0a, code.length + 2, 0x01, code.length, ...code, // code section
  ]);
};

const v128Zero = [0xfd, 0x0c, ...new Array<number>(16).fill(0)]; // v128.const 0

/** `v128.const 0`: plain SIMD. */
const simdProbe = moduleWith(v128Zero);
/** Three constants then `f32x4.relaxed_madd` (0xfd 0x105). */
const relaxedProbe = moduleWith([...v128Zero, ...v128Zero, ...v128Zero, 0xfd, 0x85, 0x02]);

/** Whether this runtime validates WebAssembly SIMD. */
export const hasSimd = (): boolean => wasmApi.validate(simdProbe);

/**
 * Whether relaxed SIMD is available. Node 20's V8 ships it behind a flag, which is switched on
 * first: it must be set before the kernel module is compiled.
 */
export const hasRelaxedSimd = (): boolean => {
  if (!wasmApi.validate(relaxedProbe)) v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  return wasmApi.validate(relaxedProbe);
};
