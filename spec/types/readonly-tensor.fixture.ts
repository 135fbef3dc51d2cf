/**
 * Type-level fixture for spec/readonly-tensor-types.spec.ts (not run, not in the main tsconfig):
 * each line marked `// error TSnnnn` must fail to compile with that code, every other line must compile.
 */
import { buffer } from '../../lib/index.ts'; // error TS2305
import { unsafeMutableData } from '../../lib/index.ts'; // error TS2305
import { tensor, type ReadonlyFloatArray } from '../../lib/index.ts';

const t = tensor([1, 2, 3]);

// no road to a writable view
t.data.subarray(0, 1); // error TS2339
t.data.buffer; // error TS2339
t.data.byteOffset; // error TS2339
const { subarray } = t.data; // error TS2339
const asWritable: Float32Array = t.data; // error TS2740

// no writes
t.data.fill(0); // error TS2339
t.data[0] = 1; // error TS2542
t.data.set([1]); // error TS2339
t.data.copyWithin(0, 1); // error TS2339
t.data.sort(); // error TS2339
t.data.reverse(); // error TS2339
t.data = new Float32Array(3); // error TS2540
t.shape[0] = 4; // error TS2542

// reading compiles, and copies are the reader's own
const first: number = t.data[0];
const n: number = t.data.length;
const copy: Float32Array | Float64Array = t.data.slice(0, 2);
copy[0] = 9;
const doubled = t.data.map((v) => 2 * v);
doubled.fill(1);
const total: number = t.data.reduce((a, b) => a + b, 0);
const shown: string = t.data.join(',');
const found: boolean = t.data.includes(2) && t.data.indexOf(3) === 2 && t.data.some((v) => v > 2) && t.data.every(Number.isFinite);
const last: number | undefined = t.data.at(-1);
const big = t.data.filter((v) => v > 1).length + t.data.findIndex((v) => v > 1) + (t.data.find((v) => v > 1) ?? 0);
t.data.forEach((v, i) => { void v; void i; });
const spread: number[] = [...t.data, ...Array.from(t.data)];
for (const v of t.data) void v;
const asArrayLike: ArrayLike<number> = t.data;
const fromCopy = Float32Array.from(t.data);
const alsoReadonly: ReadonlyFloatArray = new Float64Array(2);
void [buffer, unsafeMutableData, subarray, asWritable, first, n, total, shown, found, last, big, spread, asArrayLike, fromCopy, alsoReadonly];
