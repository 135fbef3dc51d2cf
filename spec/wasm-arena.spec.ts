/**
 * The wasm backend's memory: kept outputs are read in place by later calls (no copy), for as
 * long as the ring holds them, found only by the identity of the array they were copied out to
 * (never by their contents); a call's own inputs and outputs are never handed out twice within the call.
 */
import { expect } from 'chai';
import { Arena } from '../lib/kernels/wasm/arena.ts';
import { wasmApi, type WasmMemory } from '../lib/kernels/wasm/api.ts';

const KIB = 1024;
const memory = (): WasmMemory => new wasmApi.Memory({ initial: 1, maximum: 65536, shared: true });

/** One "kernel call" that writes `values` as its output and copies it out into a fresh array. */
const produce = (arena: Arena, view: () => Float32Array, values: Float32Array): { at: number; out: Float32Array } => {
  arena.reset();
  const at = arena.output(values.length * 4);
  view().set(values, at >> 2);
  const out = new Float32Array(values.length);
  arena.getAndKeep(at, out);
  return { at, out };
};

const filled = (n: number, seed: number): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 1000 + i));

describe('wasm arena: resident outputs', () => {
  it('reads a kept output in place, several calls later', () => {
    const mem = memory();
    const arena = new Arena(mem, 1024, 1024 * KIB);
    const view = (): Float32Array => new Float32Array(mem.buffer);
    const first = produce(arena, view, filled(8 * KIB, 1));
    produce(arena, view, filled(8 * KIB, 2));
    produce(arena, view, filled(8 * KIB, 3));
    arena.reset();
    expect(arena.put(first.out)).to.equal(first.at);
    // a copy of the same values is another array: copied in, elsewhere
    expect(arena.put(Float32Array.from(first.out))).to.not.equal(first.at);
  });

  it('copies an output in again once the ring has wrapped over it', () => {
    const mem = memory();
    const arena = new Arena(mem, 1024, 256 * KIB);
    const view = (): Float32Array => new Float32Array(mem.buffer);
    const first = produce(arena, view, filled(16 * KIB, 1)); // 64 KiB
    for (let i = 0; i < 5; i++) produce(arena, view, filled(16 * KIB, 2 + i)); // 320 KiB more: wraps
    arena.reset();
    const at = arena.put(first.out);
    expect(at).to.not.equal(first.at);
    expect(Array.from(view().subarray(at >> 2, (at >> 2) + first.out.length))).to.deep.equal(Array.from(first.out));
  });

  it('never puts an output over an input this call reads from the ring', () => {
    const mem = memory();
    const arena = new Arena(mem, 1024, 192 * KIB);
    const view = (): Float32Array => new Float32Array(mem.buffer);
    const kept = [1, 2, 3].map((s) => produce(arena, view, filled(12 * KIB, s)));
    arena.reset();
    const inputs = kept.map((k) => arena.put(k.out));
    expect(inputs).to.deep.equal(kept.map((k) => k.at));
    const outs = [0, 1].map(() => arena.output(12 * KIB * 4));
    for (const o of outs) {
      for (const i of [...inputs, ...outs.filter((x) => x !== o)]) {
        expect(o + 12 * KIB * 4 <= i || i + 12 * KIB * 4 <= o, `output at ${o} overlaps ${i}`).to.equal(true);
      }
    }
  });

  it('copies in an equal-looking array in a buffer it did not hand out, and finds another view of the bytes it did', () => {
    const mem = memory();
    const arena = new Arena(mem, 1024, 1024 * KIB);
    const view = (): Float32Array => new Float32Array(mem.buffer);
    const { at, out } = produce(arena, view, filled(8 * KIB, 4));
    const lookalikes = {
      'a fresh copy': Float32Array.from(out),
      'a new Float32Array of the same length and values': new Float32Array(out),
    };
    for (const [what, a] of Object.entries(lookalikes)) {
      view()[(at >> 2) + 5] = 12345; // marks the kept copy: a copy-in must not read it
      arena.reset();
      const got = arena.put(a);
      expect(got, what).to.not.equal(at);
      expect(Array.from(view().subarray(got >> 2, (got >> 2) + a.length)), what).to.deep.equal(Array.from(out));
    }
    arena.reset();
    expect(arena.put(out), 'the array it handed out').to.equal(at);
    // a reshape's view of the same (readonly) bytes is the same data
    arena.reset();
    expect(arena.put(new Float32Array(out.buffer, out.byteOffset, out.length)), 'another view of the same bytes').to.equal(at);
  });

  it('does not look at contents: a write through a cast after the call goes unseen (the contract forbids it)', () => {
    // Tensors give no writable view (ReadonlyFloatArray); unsafeMutableData is a cast, and writing
    // through it is the writer's own unsafe act. The arena does not guard against it.
    const mem = memory();
    const arena = new Arena(mem, 1024, 1024 * KIB);
    const view = (): Float32Array => new Float32Array(mem.buffer);
    const { at, out } = produce(arena, view, filled(8 * KIB, 6));
    const before = out[0];
    out.fill(-7);
    arena.reset();
    expect(arena.put(out)).to.equal(at);
    expect(view()[at >> 2]).to.equal(before);
  });

  it('keeps Int32 outputs apart from Float32 views of the same bytes', () => {
    const mem = memory();
    const arena = new Arena(mem, 1024, 1024 * KIB);
    arena.reset();
    const at = arena.output(8 * KIB * 4);
    const ints = new Int32Array(mem.buffer, at, 8 * KIB);
    ints.forEach((_, i) => { ints[i] = i * 3; });
    const out = new Int32Array(8 * KIB);
    arena.getAndKeep(at, out);
    arena.reset();
    expect(arena.put(out)).to.equal(at);
    expect(arena.put(new Float32Array(out.buffer))).to.not.equal(at);
    expect(arena.put(out.subarray(1))).to.not.equal(at + 4);
  });

  it('does not keep small outputs, and keeps nothing with no ring', () => {
    /** Whether put copies `out` in: its copy at `at` is marked at element 1 first. */
    const copiedIn = (arena: Arena, view: () => Float32Array, at: number, out: Float32Array): boolean => {
      view()[(at >> 2) + 1] = 12345;
      arena.reset();
      const got = arena.put(out);
      return view()[(got >> 2) + 1] === out[1];
    };
    const mem = memory();
    const view = (): Float32Array => new Float32Array(mem.buffer);
    const arena = new Arena(mem, 1024, 1024 * KIB);
    const kept = produce(arena, view, filled(8 * KIB, 3));
    expect(copiedIn(arena, view, kept.at, kept.out), 'a large output is kept').to.equal(false);
    const tiny = produce(arena, view, filled(100, 1));
    expect(copiedIn(arena, view, tiny.at, tiny.out), 'a small output is copied in').to.equal(true);
    const mem2 = memory();
    const view2 = (): Float32Array => new Float32Array(mem2.buffer);
    const none = new Arena(mem2, 1024, 0);
    const big = produce(none, view2, filled(64 * KIB, 2));
    expect(copiedIn(none, view2, big.at, big.out), 'no ring: copied in').to.equal(true);
  });

  it('keeps a large input on its second copy (a weight read every batch), not a small one or one seen once', () => {
    const mem = memory();
    const arena = new Arena(mem, 1024, 1024 * KIB);
    const view = (): Float32Array => new Float32Array(mem.buffer);
    const weight = filled(8 * KIB, 7);
    arena.reset();
    const first = arena.put(weight);
    arena.reset();
    const second = arena.put(weight);
    produce(arena, view, filled(8 * KIB, 8)); // another call's output lands elsewhere in the ring
    arena.reset();
    expect(arena.put(weight), 'read in place after its second copy').to.equal(second);
    expect(second, 'the second copy sits in the ring, not in scratch').to.not.equal(first);
    // its kept copy holds the values, and a fresh array of the same values is copied in
    expect(Array.from(view().subarray(second >> 2, (second >> 2) + 8))).to.deep.equal(Array.from(weight.subarray(0, 8)));
    expect(arena.put(Float32Array.from(weight))).to.not.equal(second);
    const tiny = filled(100, 9);
    arena.reset();
    arena.put(tiny);
    arena.reset();
    const tinyAgain = arena.put(tiny);
    view()[(tinyAgain >> 2) + 1] = 12345;
    arena.reset();
    const tinyThird = arena.put(tiny);
    expect(view()[(tinyThird >> 2) + 1], 'a small input is copied in every time').to.equal(tiny[1]);
    // an input too large for the ring is copied every time and does not grow the ring
    const huge = filled(128 * KIB, 10); // 512 KiB: more than a third of the ring
    const size = mem.buffer.byteLength;
    for (let i = 0; i < 3; i++) { arena.reset(); arena.put(huge); }
    arena.reset();
    const hugeAgain = arena.put(huge);
    view()[(hugeAgain >> 2) + 1] = 12345;
    arena.reset();
    expect(view()[(arena.put(huge) >> 2) + 1], 'a huge input is copied in every time').to.equal(huge[1]);
    expect(mem.buffer.byteLength, 'no ring growth for an input').to.be.below(size + 2 * 512 * KIB);
  });

  it('grows the ring before the next call when an output is too large to keep', () => {
    const mem = memory();
    const arena = new Arena(mem, 1024, 64 * KIB);
    const view = (): Float32Array => new Float32Array(mem.buffer);
    const values = filled(32 * KIB, 5); // 128 KiB: more than the ring
    const first = produce(arena, view, values);
    arena.reset();
    expect(arena.put(first.out), 'not kept the first time').to.not.equal(first.at);
    const second = produce(arena, view, values);
    arena.reset();
    expect(arena.put(second.out), 'kept once the ring grew').to.equal(second.at);
    expect(mem.buffer.byteLength).to.be.at.least(1024 + 3 * 128 * KIB);
  });
});
