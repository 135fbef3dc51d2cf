/**
 * Scratch memory inside the wasm linear memory: a bump allocator reset at the start of every
 * kernel call. The memory grows to the largest single call and is then reused.
 */
import type { WasmMemory } from './api.ts';

const PAGE = 65536;
const ALIGN = 64;

/** Element arrays that can be copied in and out of linear memory. */
type Copyable = Float32Array | Int32Array;

/** A bump allocator over a (shared) WebAssembly.Memory. */
export class Arena {
  private top: number;
  private f32View: Float32Array;
  private i32View: Int32Array;

  /** Allocations start at `base` (bytes), above the module's static data. */
  constructor(private readonly memory: WasmMemory, private readonly base: number) {
    this.top = base;
    if (base > memory.buffer.byteLength) memory.grow(Math.ceil((base - memory.buffer.byteLength) / PAGE));
    this.f32View = new Float32Array(memory.buffer);
    this.i32View = new Int32Array(memory.buffer);
  }

  /** Frees every allocation (the previous call's data is garbage from here on). */
  reset(): void {
    this.top = this.base;
  }

  /** Reserves `bytes` (64-byte aligned) and returns the byte offset. */
  alloc(bytes: number): number {
    const at = Math.ceil(this.top / ALIGN) * ALIGN;
    this.top = at + bytes;
    const size = this.memory.buffer.byteLength;
    if (this.top > size) {
      this.memory.grow(Math.ceil((this.top - size) / PAGE));
      // a grown shared memory hands out a new, longer buffer
      this.f32View = new Float32Array(this.memory.buffer);
      this.i32View = new Int32Array(this.memory.buffer);
    }
    return at;
  }

  /** Copies an array into fresh scratch and returns its byte offset. */
  put(src: Copyable): number {
    const at = this.alloc(src.length * 4);
    if (src instanceof Float32Array) this.f32View.set(src, at >> 2);
    else this.i32View.set(src, at >> 2);
    return at;
  }

  /** Copies plain integers (shapes, strides, geometry) into fresh scratch. */
  ints(values: readonly number[]): number {
    const at = this.alloc(values.length * 4);
    this.i32View.set(values, at >> 2);
    return at;
  }

  /** Copies dst.length elements at byte offset `at` out into dst. */
  get(at: number, dst: Copyable): void {
    const i = at >> 2;
    if (dst instanceof Float32Array) dst.set(this.f32View.subarray(i, i + dst.length));
    else dst.set(this.i32View.subarray(i, i + dst.length));
  }
}
