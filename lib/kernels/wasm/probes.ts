/** Feature probes: tiny hand-assembled modules that validate only where a feature is on (no compilation, no I/O). */
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
export const validatesSimd = (): boolean => wasmApi.validate(simdProbe);

/** Whether this runtime validates relaxed SIMD as it is configured now. */
export const validatesRelaxedSimd = (): boolean => wasmApi.validate(relaxedProbe);
