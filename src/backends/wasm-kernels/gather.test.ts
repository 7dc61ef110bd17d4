/**
 * GatherV2 on wasm against the cpu backend (bit for bit: values are
 * copied) and against the definition, on random tables, axes, batchDims
 * and indices with repeats; the cpu's errors; what goes to the backend's
 * own kernel.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';

import { checkIndices, copySlices, gatherV2Wasm } from './gather';
import { replaceWasmKernel } from './registry';
import { useWasmKernels } from './kernel-testing';
import { integers, values } from './test-values';

type Backend = 'cpu' | 'wasm';

/** What a run gives, as plain data that outlives its tensors. */
interface Result {
  dtype: tf.DataType;
  shape: number[];
  values: number[];
}

beforeAll(useWasmKernels);

async function on(backend: Backend, run: () => tf.Tensor): Promise<Result> {
  if (tf.getBackend() !== backend) expect(await tf.setBackend(backend)).toBe(true);
  return tf.tidy(() => {
    const out = run();
    return { dtype: out.dtype, shape: out.shape, values: Array.from(out.dataSync()) };
  });
}

/** One lookup's inputs as plain data, so each backend makes its own tensors. */
interface Case {
  table: { shape: number[]; dtype: 'float32' | 'int32' | 'bool'; values: number[] };
  indices: { shape: number[]; values: number[] };
  axis: number;
  batchDims: number;
}

const gather = (c: Case): tf.Tensor =>
  tf.gather(tf.tensor(c.table.values, c.table.shape, c.table.dtype), tf.tensor(c.indices.values, c.indices.shape, 'int32'), c.axis, c.batchDims);

/** `run` on wasm gives exactly the cpu's dtype, shape and values, or the same error. */
async function expectAsOnCpu(c: Case, run: (c: Case) => tf.Tensor = gather): Promise<void> {
  const outcome = (backend: Backend, f: () => tf.Tensor): Promise<Result | string> =>
    on(backend, f).catch((e: unknown) => `throws ${e instanceof Error ? e.message : String(e)}`);
  const ref = await outcome('cpu', () => gather(c));
  const got = await outcome('wasm', () => run(c));
  expect(got, JSON.stringify(c)).toEqual(ref);
}

/** The thrown message of `run` on `backend`, or null. */
async function errorOn(backend: Backend, run: () => tf.Tensor): Promise<string | null> {
  if (tf.getBackend() !== backend) expect(await tf.setBackend(backend)).toBe(true);
  try {
    tf.tidy(run);
    return null;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/**
 * A random lookup: a table of rank 1 to 3 (sides 0 to 5, the gathered one
 * 1 to 8) of any of the three dtypes, any axis (written as it is or from
 * the end), batchDims from 0 to the axis, and indices of rank batchDims to
 * batchDims + 2 drawn from few values, so they repeat.
 */
const randomCase: fc.Arbitrary<Case> = fc
  .record({
    shape: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 3 }),
    dtype: fc.constantFrom('float32' as const, 'int32' as const, 'bool' as const),
    extraIndexShape: fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 2 }),
    axisSeed: fc.nat(),
    batchSeed: fc.nat(),
    axisSize: fc.integer({ min: 1, max: 8 }),
    fromEnd: fc.boolean(),
  })
  .chain(({ shape, dtype, extraIndexShape, axisSeed, batchSeed, axisSize, fromEnd }) => {
    const axis = axisSeed % shape.length;
    const batchDims = batchSeed % (axis + 1);
    const tableShape = shape.map((d, i) => (i === axis ? axisSize : d));
    const indexShape = [...tableShape.slice(0, batchDims), ...extraIndexShape];
    const size = tableShape.reduce((a, b) => a * b, 1);
    const value =
      dtype === 'float32'
        ? fc.float({ noDefaultInfinity: true, noNaN: true })
        : dtype === 'int32'
          ? fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })
          : fc.integer({ min: 0, max: 1 });
    const indexCount = indexShape.reduce((a, b) => a * b, 1);
    return fc.record({
      table: fc.record({
        shape: fc.constant(tableShape),
        dtype: fc.constant(dtype),
        values: fc.array(value, { minLength: size, maxLength: size }),
      }),
      indices: fc.record({
        shape: fc.constant(indexShape),
        values: fc.array(fc.integer({ min: 0, max: axisSize - 1 }), { minLength: indexCount, maxLength: indexCount }),
      }),
      axis: fc.constant(fromEnd ? axis - tableShape.length : axis),
      batchDims: fc.constant(batchDims),
    });
  });

/** False where batchDims covers a dimension of size 0, which the cpu backend fails to reshape. */
const hasBatches = (c: Case): boolean => c.table.shape.slice(0, c.batchDims).every((d) => d > 0);

/** The definition: out[b, o, i, s] = table[b, o, indices[b, i], s] (batch, outer, gathered and inner dimensions). */
function definition(c: Case): Result {
  const shape = c.table.shape;
  const axis = c.axis < 0 ? c.axis + shape.length : c.axis;
  const prod = (dims: number[]): number => dims.reduce((a, b) => a * b, 1);
  const [batch, outer, dim, slice] = [
    prod(shape.slice(0, c.batchDims)),
    prod(shape.slice(c.batchDims, axis)),
    shape[axis] ?? 0,
    prod(shape.slice(axis + 1)),
  ];
  const perBatch = batch === 0 ? 0 : c.indices.values.length / batch;
  const out: number[] = [];
  for (let b = 0; b < batch; b++)
    for (let o = 0; o < outer; o++)
      for (let i = 0; i < perBatch; i++) {
        const from = ((b * outer + o) * dim + (c.indices.values[b * perBatch + i] ?? 0)) * slice;
        out.push(...c.table.values.slice(from, from + slice));
      }
  // Stored as the dtype stores it: float32 rounding, bool as 0 or 1.
  const stored = c.table.dtype === 'float32' ? Array.from(Float32Array.from(out)) : out;
  const outShape = [...shape.slice(0, axis), ...c.indices.shape.slice(c.batchDims), ...shape.slice(axis + 1)];
  return { dtype: c.table.dtype, shape: outShape, values: stored };
}

describe('GatherV2 on wasm', () => {
  it('is registered for wasm', () => {
    expect(tf.getKernel(tf.GatherV2, 'wasm')?.kernelFunc).toBe(gatherV2Wasm);
  });

  it('gives the cpu backend result bit for bit on random tables, dtypes, axes, batchDims and repeated indices', async () => {
    await fc.assert(
      fc.asyncProperty(randomCase.filter(hasBatches), (c) => expectAsOnCpu(c)),
      { numRuns: 200, seed: 4401 },
    );
  });

  it('gives the definition, and the checks catch a lookup that is off by one row', async () => {
    const check = async (c: Case, run: (c: Case) => tf.Tensor): Promise<void> => {
      expect(await on('wasm', () => run(c))).toEqual(definition(c));
    };
    await fc.assert(fc.asyncProperty(randomCase, (c) => check(c, gather)), { numRuns: 150, seed: 12 });
    const offByOne = (c: Case): tf.Tensor => {
      const axis = c.axis < 0 ? c.axis + c.table.shape.length : c.axis;
      const size = c.table.shape[axis] ?? 1;
      return gather({ ...c, indices: { ...c.indices, values: c.indices.values.map((i) => (i + 1) % size) } });
    };
    await expect(fc.assert(fc.asyncProperty(randomCase, (c) => check(c, offByOne)), { numRuns: 150, seed: 12 })).rejects.toThrow(
      /Property failed/,
    );
    await expect(fc.assert(fc.asyncProperty(randomCase.filter(hasBatches), (c) => expectAsOnCpu(c, offByOne)), { numRuns: 150, seed: 12 })).rejects.toThrow(
      /Property failed/,
    );
  });

  it('throws the cpu backend error for an index below 0 or past the last row, and makes no tensor', async () => {
    for (const bad of [-1, 4, 2 ** 31 - 1, -(2 ** 31)]) {
      const run = (): tf.Tensor => tf.gather(tf.tensor2d(values(8, 1), [4, 2]), tf.tensor1d([0, bad, 1], 'int32'));
      const cpu = await errorOn('cpu', run);
      expect(cpu).toBe(`GatherV2: the index value ${bad} is not in [0, 3]`);
      const before = tf.memory().numTensors;
      expect(await errorOn('wasm', run)).toBe(cpu);
      expect(tf.memory().numTensors).toBe(before);
    }
    // A table with no rows has no index to give.
    const empty = (): tf.Tensor => tf.gather(tf.zeros([0, 3]), tf.tensor1d([0], 'int32'));
    expect(await errorOn('wasm', empty)).toBe(await errorOn('cpu', empty));
  });

  it('matches cpu at the edges: no indices, rows of no values, a scalar index, a vector table', async () => {
    const f32 = (shape: number[]): Case['table'] => ({ shape, dtype: 'float32', values: Array.from(values(shape.reduce((a, b) => a * b, 1), 3)) });
    const ids = (shape: number[], vals: number[]): Case['indices'] => ({ shape, values: vals });
    const cases: Case[] = [
      { table: f32([4, 3]), indices: ids([0], []), axis: 0, batchDims: 0 },
      { table: f32([0, 3]), indices: ids([2, 0], []), axis: 0, batchDims: 0 },
      { table: f32([4, 0]), indices: ids([3], [3, 0, 3]), axis: 0, batchDims: 0 },
      { table: f32([4, 3]), indices: ids([], [2]), axis: 0, batchDims: 0 },
      { table: f32([5]), indices: ids([2, 3], [4, 0, 0, 1, 4, 2]), axis: 0, batchDims: 0 },
    ];
    for (const c of cases) await expectAsOnCpu(c);
  });

  it('gives the cpu result for batchDims 1, where the backend kernel is wrong', async () => {
    const c: Case = {
      table: { shape: [3, 4, 2], dtype: 'float32', values: Array.from(values(24, 9)) },
      indices: { shape: [3, 2], values: [1, 0, 3, 3, 2, 0] },
      axis: 1,
      batchDims: 1,
    };
    await expectAsOnCpu(c);
    // replaceWasmKernel hands back the kernel it replaced. A change here means tfjs fixed its kernel.
    const own = replaceWasmKernel(tf.GatherV2, gatherV2Wasm);
    if (own === undefined) throw new Error('no backend GatherV2');
    const byOwn = (k: Case): tf.Tensor => {
      const inputs = { x: tf.tensor(k.table.values, k.table.shape), indices: tf.tensor(k.indices.values, k.indices.shape, 'int32') };
      const out = own.kernelFunc({ inputs, backend: tf.backend(), attrs: { axis: k.axis, batchDims: k.batchDims } });
      return tf.engine().makeTensorFromTensorInfo(out as tf.TensorInfo);
    };
    await expect(expectAsOnCpu(c, byOwn)).rejects.toThrow(/deeply equal/);
  });

  it('reads float32 indices (only runKernel passes them) as the cpu does, fractions included, and leaves strings to the backend kernel', async () => {
    const table = { shape: [3, 4, 2], values: Array.from(values(24, 9)) };
    const floatIndices = (ids: number[]) => (): tf.Tensor =>
      tf.engine().runKernel(tf.GatherV2, { x: tf.tensor(table.values, table.shape), indices: tf.tensor1d(ids) }, { axis: 1, batchDims: 0 }) as tf.Tensor;
    expect(await on('wasm', floatIndices([2, 0, 3]))).toEqual(await on('cpu', floatIndices([2, 0, 3])));
    // A fraction reads the cpu's flat offset: whole for 0.5 * 2 values per slice, not for 0.25 (NaN in float32, 0 in int32).
    expect((await on('cpu', floatIndices([1, 0.5]))).values.filter(Number.isNaN)).toHaveLength(0);
    expect(await on('wasm', floatIndices([1, 0.5]))).toEqual(await on('cpu', floatIndices([1, 0.5])));
    const fraction = await on('cpu', floatIndices([1, 0.25]));
    expect(fraction.values.filter(Number.isNaN)).toHaveLength(6);
    expect(await on('wasm', floatIndices([1, 0.25]))).toEqual(fraction);
    const intTable = (): tf.Tensor =>
      tf.engine().runKernel(tf.GatherV2, { x: tf.tensor([[1, 2], [3, 4]], [2, 2], 'int32'), indices: tf.tensor1d([0.25, 1]) }, { axis: 0, batchDims: 0 }) as tf.Tensor;
    expect(await on('wasm', intTable)).toEqual(await on('cpu', intTable));
    if (tf.getBackend() !== 'wasm') expect(await tf.setBackend('wasm')).toBe(true);
    const before = tf.memory().numTensors;
    const strings = tf.tensor1d(['a', 'b']);
    const index = tf.tensor1d([1], 'int32');
    // The backend kernel refuses strings as it always has; the point is that ours does not take them.
    expect(() => tf.gather(strings, index)).toThrow();
    tf.dispose([strings, index]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('gives an empty result for a batch of size 0, where the cpu backend fails to reshape', async () => {
    const c: Case = { table: { shape: [0, 3], dtype: 'float32', values: [] }, indices: { shape: [0, 2], values: [] }, axis: 1, batchDims: 1 };
    expect(await on('wasm', () => gather(c))).toEqual({ dtype: 'float32', shape: [0, 2], values: [] });
    // A change here means tfjs fixed its cpu backend.
    await expect(on('cpu', () => gather(c))).rejects.toThrow(/NaN/);
  });

  it('throws the cpu error for batchDims out of range and indices whose batch does not fit', async () => {
    const table = (): tf.Tensor => tf.tensor(values(24, 9), [3, 4, 2]);
    const calls = [
      (): tf.Tensor => tf.gather(table(), tf.tensor2d([0, 1, 0, 1, 0, 1], [3, 2], 'int32'), 1, 3),
      (): tf.Tensor => tf.gather(table(), tf.tensor2d([0, 1, 0, 1], [2, 2], 'int32'), 1, 1),
      (): tf.Tensor => tf.gather(table(), tf.tensor2d([0, 1, 0, 1, 0, 1], [3, 2], 'int32'), 0, 1),
    ];
    for (const call of calls) {
      const cpu = await errorOn('cpu', call);
      expect(cpu).not.toBeNull();
      expect(await errorOn('wasm', call)).toBe(cpu);
    }
  });

  it('runs as one kernel that makes only its result, at the embedding shape, and leaves the heap flat', async () => {
    if (tf.getBackend() !== 'wasm') expect(await tf.setBackend('wasm')).toBe(true);
    const table = tf.randomNormal([89, 64], 0, 1, 'float32', 1);
    const ids = tf.tensor2d(integers(32 * 64, 0, 88, 2), [32, 64], 'int32');
    const profile = await tf.profile(() => tf.gather(table, ids));
    expect(profile.kernelNames).toEqual([tf.GatherV2]);
    expect(profile.newTensors).toBe(1);
    expect((profile.result as tf.Tensor).shape).toEqual([32, 64, 64]);
    tf.dispose(profile.result as tf.Tensor);
    const heap = (): number => (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.buffer.byteLength;
    const before = { tensors: tf.memory().numTensors, heap: heap() };
    for (let i = 0; i < 50; i++) tf.gather(table, ids).dispose();
    expect({ tensors: tf.memory().numTensors, heap: heap() }).toEqual(before);
    tf.dispose([table, ids]);
  });
});

describe('the loops behind the kernel', () => {
  it('copySlices copies whole slices, repeats included, between offsets of one heap, short and long ones', () => {
    const heap = new Uint8Array(32);
    heap.set([1, 2, 3, 4, 5, 6], 0);
    copySlices(heap, 0, [2, 0, 2], { batchSize: 1, outerSize: 1, dimSize: 3, sliceSize: 2, perBatch: 3 }, 10, 0);
    expect(Array.from(heap.subarray(10, 16))).toEqual([5, 6, 1, 2, 5, 6]);
    const long = new Int32Array(200);
    long.set(Int32Array.from({ length: 60 }, (_, i) => i + 1));
    copySlices(long, 0, [1, 1, 0], { batchSize: 1, outerSize: 1, dimSize: 3, sliceSize: 20, perBatch: 3 }, 100, 0);
    expect(Array.from(long.subarray(100, 160))).toEqual([
      ...Array.from({ length: 20 }, (_, i) => i + 21),
      ...Array.from({ length: 20 }, (_, i) => i + 21),
      ...Array.from({ length: 20 }, (_, i) => i + 1),
    ]);
  });

  it('checkIndices takes 0 to rows - 1 and names the first index outside', () => {
    expect(() => checkIndices([0, 3, 3], 4)).not.toThrow();
    expect(() => checkIndices([0, 4, -1], 4)).toThrow('GatherV2: the index value 4 is not in [0, 3]');
    expect(() => checkIndices([0], 0)).toThrow('GatherV2: the index value 0 is not in [0, -1]');
  });
});
