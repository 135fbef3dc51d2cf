/**
 * The slice of the WebAssembly JS API this backend uses, typed here because the project's
 * TypeScript lib (ES2022, no DOM) does not declare the WebAssembly namespace.
 */

/** A compiled module (opaque; can be sent to a worker). */
export interface WasmModule { readonly __brand?: 'WebAssembly.Module' }

/** A linear memory; `buffer` is a SharedArrayBuffer when shared. */
export interface WasmMemory {
  readonly buffer: ArrayBufferLike;
  grow(deltaPages: number): number;
}

/** An instantiated module. */
export interface WasmInstance { readonly exports: Readonly<Record<string, unknown>> }

interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => WasmModule;
  readonly Instance: new (module: WasmModule, imports: object) => WasmInstance;
  readonly Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
  readonly validate: (bytes: Uint8Array) => boolean;
}

/** The runtime's WebAssembly object. */
export const wasmApi = (globalThis as unknown as { readonly WebAssembly: WasmApi }).WebAssembly;
