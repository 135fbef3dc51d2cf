/**
 * The wasm kernels' linear memory, in two parts above the module's static data:
 * - a ring of resident outputs (at the bottom): recent kernel outputs stay here after
 *   they are copied out. Layers feed outputs into later kernels (an activation into the next layer
 *   and into its backward pass, dW into Adam, Adam's moments and new parameters into the next
 *   step), so when a later call puts in the very array an output was copied to, its bytes are
 *   still here and the copy is skipped. The ring grows to three times the largest output, so an
 *   output can always be kept while the call that made it reads its input from the ring;
 * - scratch above it: a bump allocator reset at the start of every call, for inputs copied in and
 *   work space. It grows to the largest single call and is then reused.
 *
 * An input copied in for the second time (a parameter read batch after batch in inference, which
 * no kernel made) is kept in the ring too, as an output is, so later calls read it in place.
 *
 * A kept copy is found by the identity of the buffer it was copied out to (a WeakMap keyed by that
 * ArrayBuffer, then the view's offset, length and element type: a reshape's new view of the same
 * bytes is found too), never by comparing elements: an equal-looking array in another buffer is
 * copied in. Identity is sound because that buffer's data becomes a readonly
 * tensor (see Kernels): ReadonlyFloatArray has no writable view (no subarray, no buffer), and no
 * kernel writes its inputs. Writing through a cast (unsafeMutableData) is the writer's own unsafe
 * act and goes unseen here: later calls read the kept copy.
 */
import type { WasmMemory } from './api.ts';

const PAGE = 65536;
const ALIGN = 64;

/** Outputs smaller than this are not kept: copying them in again costs less than tracking them. */
const KEEP_MIN_BYTES = 16384;

/**
 * The ring's least size unless set (WasmOptions.residentBytes): a training step's outputs at batch
 * 100, for SimpleConvNet (12 MB) and for DeepConvNet, whose activations are read again in backward.
 */
export const DEFAULT_RESIDENT_BYTES = 24 * 2 ** 20;

/** The ring holds this many of its largest output (one being read, one being written, room to wrap). */
const RING_OUTPUTS = 3;

/** Element arrays that can be copied in and out of linear memory. */
export type Copyable = Float32Array | Int32Array;

/** A byte range [at, end) of linear memory. */
interface Span {
  readonly at: number;
  readonly end: number;
}

/** Which view of a buffer: its offset, length and element type. */
interface View {
  readonly byteOffset: number;
  readonly length: number;
  readonly float: boolean;
}

/** A kept output (or input): its copy's place in the ring and which view of its buffer it was copied to or from, until the ring is written over it. */
interface Resident extends Span, View {
  evicted: boolean;
}

const alignUp = (n: number): number => Math.ceil(n / ALIGN) * ALIGN;
const overlaps = (s: Span, at: number, end: number): boolean => s.at < end && at < s.end;

/** Linear memory for kernel calls: resident outputs in a ring, per-call scratch above. */
export class Arena {
  private readonly ringStart: number;
  private ringEnd: number;
  /** The ring size that the next call starts with (it grows between calls, never during one). */
  private ringWanted: number;
  /** Where the next kept output goes (it wraps to ringStart). */
  private ringNext: number;
  /** Kept outputs not yet overwritten, and by the buffer each was copied out to, for lookups. */
  private residents: Resident[] = [];
  private readonly byBuffer = new WeakMap<ArrayBufferLike, Resident[]>();
  /** Views of large inputs copied in once (by buffer, then offset, length and type): a second copy is kept. */
  private readonly copiedOnce = new WeakMap<ArrayBufferLike, View[]>();
  /** Ring ranges this call reads or writes (inputs found resident, outputs): never reused within the call. */
  private readonly pinned: Span[] = [];
  private top: number;
  private f32View: Float32Array;
  private i32View: Int32Array;
  private u8View: Uint8Array;

  /**
   * Allocations start at `base` (bytes), above the module's static data; at least `residentBytes`
   * of them keep outputs (0: none kept, and the ring never grows).
   */
  constructor(private readonly memory: WasmMemory, base: number, residentBytes = DEFAULT_RESIDENT_BYTES) {
    this.ringStart = alignUp(base);
    this.ringEnd = this.ringStart + alignUp(Math.max(0, residentBytes));
    this.ringWanted = this.ringEnd - this.ringStart;
    this.ringNext = this.ringStart;
    this.top = this.ringEnd;
    this.f32View = new Float32Array(memory.buffer);
    this.i32View = new Int32Array(memory.buffer);
    this.u8View = new Uint8Array(memory.buffer);
    this.ensure(this.ringEnd); // only reserved: pages are touched as outputs land there
  }

  /** Starts a kernel call: frees all scratch (moving it above a grown ring); kept outputs stay. */
  reset(): void {
    if (this.ringStart + this.ringWanted > this.ringEnd) {
      this.ringEnd = this.ringStart + this.ringWanted;
      this.ensure(this.ringEnd);
    }
    this.top = this.ringEnd;
    this.pinned.length = 0;
  }

  /** Reserves `bytes` of scratch (64-byte aligned) for this call and returns the byte offset. */
  alloc(bytes: number): number {
    const at = this.top;
    this.top = alignUp(at + bytes);
    this.ensure(this.top);
    return at;
  }

  /**
   * Reserves room for an output that `getAndKeep` will copy out and keep: in the ring, over the
   * oldest kept outputs. Too small to keep, or no ring: scratch. Too large for the ring: scratch
   * this time, and the ring grows before the next call.
   */
  output(bytes: number): number {
    const size = alignUp(bytes);
    const ring = this.ringEnd - this.ringStart;
    if (size < KEEP_MIN_BYTES || ring === 0) return this.alloc(bytes);
    if (RING_OUTPUTS * size > ring) {
      this.ringWanted = Math.max(this.ringWanted, RING_OUTPUTS * size);
      return this.alloc(bytes);
    }
    let at = this.ringNext;
    let wrapped = false;
    for (;;) {
      if (at + size > this.ringEnd) {
        if (wrapped) return this.alloc(bytes); // this call's own ranges fill the ring
        at = this.ringStart;
        wrapped = true;
        continue;
      }
      const clash = this.pinned.find((s) => overlaps(s, at, at + size));
      if (clash === undefined) break;
      at = alignUp(clash.end);
    }
    this.evict(at, at + size);
    this.ringNext = at + size;
    this.pinned.push({ at, end: at + size });
    return at;
  }

  /**
   * Copies an array in and returns its byte offset: no copy when it is an array a kept output was
   * copied out to, or an input kept on its second copy.
   */
  put(src: Copyable): number {
    const kept = this.lookup(src);
    if (kept !== undefined) {
      this.pinned.push(kept);
      return kept.at;
    }
    const again = this.copiedBefore(src);
    const at = again ? this.output(src.length * 4) : this.alloc(src.length * 4);
    if (src instanceof Float32Array) this.f32View.set(src, at >> 2);
    else this.i32View.set(src, at >> 2);
    if (again) this.keep(at, src);
    return at;
  }

  /**
   * Copies rows[from..to) of `src` (rows of rowBytes bytes) in, one after another, into fresh
   * scratch (never kept: a batch's rows are read once) and returns the byte offset.
   */
  putRows(src: Uint8Array, rowBytes: number, rows: ArrayLike<number>, from: number, to: number): number {
    const at = this.alloc((to - from) * rowBytes);
    for (let i = from, o = at; i < to; i++, o += rowBytes) this.u8View.set(src.subarray(rows[i] * rowBytes, (rows[i] + 1) * rowBytes), o);
    return at;
  }

  /** Copies plain integers (shapes, strides, geometry) into fresh scratch. */
  ints(values: readonly number[]): number {
    const at = this.alloc(values.length * 4);
    this.i32View.set(values, at >> 2);
    return at;
  }

  /** Copies the output at `at` out into dst, and keeps it when it sits in the ring (dst must not be written again). */
  getAndKeep(at: number, dst: Copyable): void {
    this.get(at, dst);
    this.keep(at, dst);
  }

  /** Copies dst.length elements at byte offset `at` out into dst. */
  get(at: number, dst: Copyable): void {
    const i = at >> 2;
    if (dst instanceof Float32Array) dst.set(this.f32View.subarray(i, i + dst.length));
    else dst.set(this.i32View.subarray(i, i + dst.length));
  }

  /** Records the copy at `at` of the array `of` as resident, when it sits in the ring. */
  private keep(at: number, of: Copyable): void {
    if (at < this.ringStart || at >= this.ringEnd) return;
    const float = of instanceof Float32Array;
    const resident: Resident = { at, end: alignUp(at + of.length * 4), byteOffset: of.byteOffset, length: of.length, float, evicted: false };
    this.residents.push(resident);
    const same = (this.byBuffer.get(of.buffer) ?? []).filter((r) => !r.evicted);
    same.push(resident);
    this.byBuffer.set(of.buffer, same);
  }

  /** Whether this input, large enough to keep and small enough for the ring, was copied in before (recording it when not). */
  private copiedBefore(src: Copyable): boolean {
    // an input never grows the ring (an output may): one too large to keep is copied every time
    const size = alignUp(src.length * 4);
    if (size < KEEP_MIN_BYTES || RING_OUTPUTS * size > this.ringEnd - this.ringStart) return false;
    const float = src instanceof Float32Array;
    const views = this.copiedOnce.get(src.buffer);
    if (views?.some((v) => v.byteOffset === src.byteOffset && v.length === src.length && v.float === float)) return true;
    if (views === undefined) this.copiedOnce.set(src.buffer, [{ byteOffset: src.byteOffset, length: src.length, float }]);
    else views.push({ byteOffset: src.byteOffset, length: src.length, float });
    return false;
  }

  /** The resident copy of src: only when src views the very bytes a kept, not yet overwritten output was copied to. */
  private lookup(src: Copyable): Resident | undefined {
    const float = src instanceof Float32Array;
    return this.byBuffer.get(src.buffer)?.find((r) =>
      !r.evicted && r.byteOffset === src.byteOffset && r.length === src.length && r.float === float);
  }

  /** Drops the kept outputs that overlap [at, end). */
  private evict(at: number, end: number): void {
    if (!this.residents.some((r) => overlaps(r, at, end))) return;
    this.residents = this.residents.filter((r) => {
      if (!overlaps(r, at, end)) return !r.evicted;
      r.evicted = true;
      return false;
    });
  }

  /** Grows the memory to at least `end` bytes. */
  private ensure(end: number): void {
    const size = this.memory.buffer.byteLength;
    if (end <= size) return;
    this.memory.grow(Math.ceil((end - size) / PAGE));
    // a grown shared memory hands out a new, longer buffer
    this.f32View = new Float32Array(this.memory.buffer);
    this.i32View = new Int32Array(this.memory.buffer);
    this.u8View = new Uint8Array(this.memory.buffer);
  }
}
