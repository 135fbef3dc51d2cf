/**
 * Scratch memory inside the wasm linear memory: a bump allocator reset at the start of every
 * kernel call. The memory grows to the largest single call (twice, at most, with the kept
 * output below) and is then reused.
 *
 * One output is kept across a call: layers mostly feed one kernel's output straight into the
 * next kernel, so when the next call puts that same array in, its bytes are still here and the
 * copy is skipped. This is sound because a kernel's output becomes a readonly tensor and is
 * never written again (see Kernels); a few sampled elements are compared as a guard anyway.
 */
import type { WasmMemory } from './api.ts';

const PAGE = 65536;
const ALIGN = 64;

/** Element arrays that can be copied in and out of linear memory. */
type Copyable = Float32Array | Int32Array;

/** Where an output's copy sits in linear memory, and which array it was copied to. */
interface Kept {
  readonly at: number;
  readonly end: number;
  readonly array: Float32Array;
}

/** Whether `src` is the kept array (same memory) and its sampled elements still agree with the copy. */
const matches = (k: Kept, src: Copyable, view: Float32Array): boolean => {
  if (!(src instanceof Float32Array) || src.buffer !== k.array.buffer || src.byteOffset !== k.array.byteOffset || src.length !== k.array.length) {
    return false;
  }
  const i = k.at >> 2;
  const n = src.length;
  return n === 0 || (src[0] === view[i] && src[n >> 1] === view[i + (n >> 1)] && src[n - 1] === view[i + n - 1]);
};

/** A bump allocator over a (shared) WebAssembly.Memory. */
export class Arena {
  private top: number;
  /** The last output kept by `keep`, readable during the next call only. */
  private kept: Kept | undefined;
  /** During a call: the previous call's kept output, which allocations step over. */
  private readable: Kept | undefined;
  private f32View: Float32Array;
  private i32View: Int32Array;

  /** Allocations start at `base` (bytes), above the module's static data. */
  constructor(private readonly memory: WasmMemory, private readonly base: number) {
    this.top = base;
    if (base > memory.buffer.byteLength) memory.grow(Math.ceil((base - memory.buffer.byteLength) / PAGE));
    this.f32View = new Float32Array(memory.buffer);
    this.i32View = new Int32Array(memory.buffer);
  }

  /** Frees every allocation but the previous call's kept output, which stays readable for this call. */
  reset(): void {
    this.top = this.base;
    this.readable = this.kept;
    this.kept = undefined;
  }

  /** Reserves `bytes` (64-byte aligned) and returns the byte offset; steps over the readable output. */
  alloc(bytes: number): number {
    let at = Math.ceil(this.top / ALIGN) * ALIGN;
    const r = this.readable;
    if (r !== undefined && at < r.end && at + bytes > r.at) at = Math.ceil(r.end / ALIGN) * ALIGN;
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

  /** Copies an array into fresh scratch and returns its byte offset (no copy when it is the kept output). */
  put(src: Copyable): number {
    const r = this.readable;
    if (r !== undefined && matches(r, src, this.f32View)) return r.at;
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

  /** Copies the output at `at` out into dst and keeps it for the next call (dst must not be written again). */
  getAndKeep(at: number, dst: Float32Array): void {
    this.get(at, dst);
    this.kept = { at, end: at + dst.length * 4, array: dst };
  }

  /** Copies dst.length elements at byte offset `at` out into dst. */
  get(at: number, dst: Copyable): void {
    const i = at >> 2;
    if (dst instanceof Float32Array) dst.set(this.f32View.subarray(i, i + dst.length));
    else dst.set(this.i32View.subarray(i, i + dst.length));
  }
}
