/**
 * UnsortedSegmentSum on wasm against the cpu backend (bit for bit: both sum
 * each segment in row order in float64 and round once) and against a direct
 * sum, and the gradient of tf.gather, which is what needs it.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';

import { useWasmKernels } from './kernel-testing';
import { integers, values } from './test-values';
import { broadcastOffsets, segmentSumRows, unsortedSegmentSumWasm } from './unsorted-segment-sum';

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

/** One case's inputs as plain data, so each backend makes its own tensors. */
interface Case {
  x: { shape: number[]; dtype: 'float32' | 'int32' | 'bool'; values: number[] };
  ids: { shape: number[]; dtype: 'float32' | 'int32'; values: number[] };
  numSegments: number;
}

const tensorsOf = (c: Case): [tf.Tensor, tf.Tensor] => [
  tf.tensor(c.x.values, c.x.shape, c.x.dtype),
  tf.tensor(c.ids.values, c.ids.shape, c.ids.dtype),
];

/** The kernel itself, as tfjs' op calls it (runKernel also takes float32 ids, which the op would cast). */
const segmentSum = (c: Case): tf.Tensor => {
  const [x, segmentIds] = tensorsOf(c);
  return tf.engine().runKernel(tf.UnsortedSegmentSum, { x, segmentIds }, { numSegments: c.numSegments }) as tf.Tensor;
};

/** `run` on wasm gives exactly the cpu kernel's dtype, shape and values. */
async function expectAsOnCpu(c: Case, run: (c: Case) => tf.Tensor = segmentSum): Promise<void> {
  const ref = await on('cpu', () => segmentSum(c));
  const got = await on('wasm', () => run(c));
  expect(got, JSON.stringify(c)).toEqual(ref);
}

/** A random case: x of rank 1 to 3 (0 to 12 rows), ids for its rows from -2 to numSegments + 1. */
const randomCase: fc.Arbitrary<Case> = fc
  .record({
    rows: fc.integer({ min: 0, max: 12 }),
    inner: fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 2 }),
    dtype: fc.constantFrom('float32' as const, 'int32' as const),
    numSegments: fc.integer({ min: 1, max: 8 }),
  })
  .chain(({ rows, inner, dtype, numSegments }) => {
    const size = rows * inner.reduce((a, b) => a * b, 1);
    const value =
      dtype === 'float32'
        ? fc.float({ min: -1e4, max: 1e4, noNaN: true, noDefaultInfinity: true })
        : // Beyond 2^24 int32 values lose bits in float32, as in the cpu's Multiply.
          fc.oneof(fc.integer({ min: -5, max: 5 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }));
    return fc.record({
      x: fc.record({
        shape: fc.constant([rows, ...inner]),
        dtype: fc.constant(dtype),
        values: fc.array(value, { minLength: size, maxLength: size }),
      }),
      ids: fc.record({
        shape: fc.constant([rows]),
        dtype: fc.constant('int32' as const),
        // Small range: repeats, both boundaries and out-of-range ids on either side.
        values: fc.array(fc.integer({ min: -2, max: numSegments + 1 }), { minLength: rows, maxLength: rows }),
      }),
      numSegments: fc.constant(numSegments),
    });
  });

/** The definition: each row added into its segment, ids outside [0, numSegments) dropped. */
function directSum(c: Case): number[] {
  const columns = c.x.shape.slice(1).reduce((a, b) => a * b, 1);
  const sums = new Float64Array(c.numSegments * columns);
  c.ids.values.forEach((id, k) => {
    if (id < 0 || id >= c.numSegments) return;
    for (let j = 0; j < columns; j++) sums[id * columns + j] = (sums[id * columns + j] ?? 0) + Math.fround(c.x.values[k * columns + j] ?? 0);
  });
  return Array.from(Float32Array.from(sums));
}

describe('UnsortedSegmentSum on wasm', () => {
  it('is registered for wasm', () => {
    expect(tf.getKernel(tf.UnsortedSegmentSum, 'wasm')?.kernelFunc).toBe(unsortedSegmentSumWasm);
  });

  it('gives the cpu backend result bit for bit on random shapes, ids and dtypes', async () => {
    await fc.assert(
      fc.asyncProperty(randomCase, (c) => expectAsOnCpu(c)),
      { numRuns: 150, seed: 8474 },
    );
  });

  it('gives the direct sum, and the checks catch a kernel that clamps ids instead of dropping them', async () => {
    await onBackend('wasm');
    const check = (c: Case, run: (c: Case) => tf.Tensor): void =>
      tf.tidy(() => {
        expect(Array.from(run(c).dataSync())).toEqual(directSum(c));
      });
    fc.assert(
      fc.property(randomCase, (c) => check(c, segmentSum)),
      { numRuns: 150, seed: 24 },
    );
    const clamping = (c: Case): tf.Tensor => {
      const [x, ids] = tensorsOf(c);
      return tf.unsortedSegmentSum(x, tf.clipByValue(ids, 0, c.numSegments - 1) as tf.Tensor1D, c.numSegments);
    };
    expect(() => fc.assert(fc.property(randomCase, (c) => check(c, clamping)), { numRuns: 150, seed: 24 })).toThrow(/Property failed/);
    await expect(
      fc.assert(fc.asyncProperty(randomCase, (c) => expectAsOnCpu(c, clamping)), { numRuns: 150, seed: 8474 }),
    ).rejects.toThrow(/Property failed/);
  });

  it('matches cpu at the edges: no rows, unused segments, bool x, float ids, int32 beyond 2^24', async () => {
    const f32 = (shape: number[], vals: number[]): Case['x'] => ({ shape, dtype: 'float32', values: vals });
    const i32 = (vals: number[], shape = [vals.length]): Case['ids'] => ({ shape, dtype: 'int32', values: vals });
    const cases: Case[] = [
      { x: f32([0, 3], []), ids: i32([]), numSegments: 4 },
      { x: f32([3, 2], [1, 2, 3, 4, 5, 6]), ids: i32([1, 1, 1]), numSegments: 6 },
      { x: f32([4], [1, 2, 3, 4]), ids: i32([0, 3, 3, 0]), numSegments: 4 },
      { x: f32([4], [1, 2, 3, 4]), ids: i32([-1, -2147483648, 2147483647, 4]), numSegments: 4 },
      { x: { shape: [4, 2], dtype: 'bool', values: [1, 0, 1, 1, 0, 0, 1, 0] }, ids: i32([2, 0, 2, 2]), numSegments: 3 },
      { x: { shape: [3], dtype: 'int32', values: [2 ** 24 + 1, 1, -(2 ** 31)] }, ids: i32([0, 0, 1]), numSegments: 2 },
      // Ids only tf.engine().runKernel passes: float32, with one that is not an integer.
      { x: f32([3], [1, 2, 3]), ids: { shape: [3], dtype: 'float32', values: [0.5, 1, 1] }, numSegments: 2 },
      // Ids of another shape than x's rows, broadcast as the cpu does.
      { x: f32([3, 2], [1, 2, 3, 4, 5, 6]), ids: i32([1]), numSegments: 2 },
      { x: f32([1, 2], [1, 2]), ids: i32([1, 0, 1]), numSegments: 2 },
      { x: f32([], [5]), ids: i32([1, 0, 1]), numSegments: 2 },
      { x: f32([3], [1, 2, 3]), ids: i32([1], []), numSegments: 2 },
      { x: f32([2, 2], [1, 2, 3, 4]), ids: i32([0, 1, 1, 1], [2, 2]), numSegments: 2 },
      // Rank-2 ids become [2, 1, 3] and [2, 1, 2] (the cpu's expandDims at dimension 1).
      { x: f32([2, 3, 3], Array.from(values(18, 5))), ids: i32([0, 1, 0, 1, 1, 0], [2, 3]), numSegments: 2 },
      { x: f32([2, 2, 1], Array.from(values(4, 6))), ids: i32([1, 0, 0, 1], [2, 2]), numSegments: 3 },
    ];
    for (const c of cases) await expectAsOnCpu(c);
  });

  it('gives an empty tensor for zero segments, and names bad attributes, shapes and dtypes', async () => {
    await onBackend('wasm');
    const x = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    const ids = tf.tensor1d([0, 1], 'int32');
    const run = (inputs: { x: tf.Tensor; segmentIds: tf.Tensor }, numSegments: number) => () =>
      tf.engine().runKernel(tf.UnsortedSegmentSum, inputs, { numSegments }) as tf.Tensor;
    const empty = run({ x, segmentIds: ids }, 0)();
    expect(empty.shape).toEqual([0, 2]);
    expect(run({ x, segmentIds: ids }, -1)).toThrow(/numSegments is -1; it must be an integer >= 0/);
    expect(run({ x, segmentIds: ids }, 2.5)).toThrow(/numSegments is 2.5; it must be an integer >= 0/);
    const threeIds = tf.tensor1d([0, 1, 1], 'int32');
    expect(run({ x, segmentIds: threeIds }, 2)).toThrow(/segmentIds \[3\] \(as \[3,1\]\) and x \[2,2\] do not broadcast together/);
    const strings = tf.tensor(['a', 'b']);
    expect(run({ x: strings, segmentIds: ids }, 2)).toThrow(/x has dtype string; float32, int32 or bool is allowed/);
    expect(run({ x: tf.scalar(1), segmentIds: tf.scalar(0, 'int32') }, 2)).toThrow(/both scalars/);
    tf.dispose([x, ids, empty, threeIds, strings]);
  });

  it('keeps a NaN or infinite value in its own segment, where the cpu backend spreads NaN to every segment', async () => {
    const c: Case = {
      x: { shape: [4], dtype: 'float32', values: [NaN, 2, Infinity, 3] },
      ids: { shape: [4], dtype: 'int32', values: [0, 1, 2, 1] },
      numSegments: 4,
    };
    expect((await on('wasm', () => segmentSum(c))).values).toEqual([NaN, 5, Infinity, 0]);
    expect((await on('cpu', () => segmentSum(c))).values).toEqual([NaN, NaN, NaN, NaN]); // a change here means tfjs fixed it
  });

  it('runs as one kernel with no other tensor made, and leaves the count flat', async () => {
    await onBackend('wasm');
    const x = tf.randomNormal([2048, 64], 0, 1, 'float32', 1);
    const ids = tf.tensor1d(integers(2048, 0, 95, 2), 'int32');
    const before = tf.memory().numTensors;
    const profile = await tf.profile(() => tf.unsortedSegmentSum(x, ids, 96));
    expect(profile.kernelNames).toEqual([tf.UnsortedSegmentSum]);
    expect(profile.newTensors).toBe(1);
    expect((profile.result as tf.Tensor).shape).toEqual([96, 64]);
    tf.dispose(profile.result as tf.Tensor);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, ids]);
  });
});

async function onBackend(name: Backend): Promise<void> {
  if (tf.getBackend() !== name) expect(await tf.setBackend(name)).toBe(true);
}

describe('the gradient of tf.gather on wasm', () => {
  /** Relative tolerance the embedding gradient must meet against cpu. */
  const REL_TOL = 1e-5;

  interface GatherCase {
    name: string;
    table: number[];
    indices: number[];
    axis: number;
    batchDims: number;
  }

  /** d sum(gather(table, ids) * w) / d table, with w fixed, on the active backend. */
  function gatherGrad(c: GatherCase, ids: Int32Array): number[] {
    return tf.tidy(() => {
      const table = tf.tensor(values(c.table.reduce((a, b) => a * b, 1), 7), c.table);
      const idsT = tf.tensor(ids, c.indices, 'int32');
      const outShape = tf.gather(table, idsT, c.axis, c.batchDims).shape;
      const w = tf.tensor(values(outShape.reduce((a, b) => a * b, 1), 8), outShape);
      const [g] = tf.grads((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, idsT, c.axis, c.batchDims), w)))([table]);
      if (g === undefined) throw new Error('no gradient');
      return Array.from(g.dataSync());
    });
  }

  const cases: GatherCase[] = [
    // The character transformer's token embedding: [vocab, dModel] by [batch, T].
    { name: 'embedding [96, 64] by [32, 64]', table: [96, 64], indices: [32, 64], axis: 0, batchDims: 0 },
    { name: 'embedding [80, 64] by [32, 64]', table: [80, 64], indices: [32, 64], axis: 0, batchDims: 0 },
    { name: 'rank 3 table, 1-D ids', table: [7, 3, 2], indices: [20], axis: 0, batchDims: 0 },
    { name: 'axis 1', table: [3, 9, 4], indices: [5, 2], axis: 1, batchDims: 0 },
    { name: 'batchDims 1', table: [4, 6, 3], indices: [4, 5], axis: 1, batchDims: 1 },
  ];

  it.each(cases)('equals cpu within 1e-5 relative: $name', async (c) => {
    const vocab = c.table[c.axis] ?? 1;
    // Every id at least once is unlikely at 2048 draws from 96 (they repeat); both ends are put in.
    const ids = integers(c.indices.reduce((a, b) => a * b, 1), 0, vocab - 1, 11);
    ids[0] = 0;
    ids[ids.length - 1] = vocab - 1;
    await onBackend('cpu');
    const ref = gatherGrad(c, ids);
    await onBackend('wasm');
    const got = gatherGrad(c, ids);
    expect(got.length).toBe(ref.length);
    const scale = ref.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const err = ref.reduce((m, v, i) => Math.max(m, Math.abs(v - (got[i] ?? NaN))), 0);
    expect(err, `max abs error ${err} vs max |ref| ${scale}`).toBeLessThanOrEqual(REL_TOL * scale);
  });

  it('keeps the tensor count flat across embedding training steps', async () => {
    await onBackend('wasm');
    const table = tf.variable(tf.randomNormal([96, 64], 0, 0.02, 'float32', 3), true, 'segment-sum-test-embedding');
    const ids = tf.tensor2d(integers(32 * 64, 0, 95, 4), [32, 64], 'int32');
    const step = (): void => {
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(tf.gather(table, ids))), [table]);
      tf.dispose([value, ...Object.values(grads)]);
    };
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) {
      step();
      expect(tf.memory().numTensors).toBe(before);
    }
    tf.dispose([table, ids]);
  });
});

describe('the loops behind the kernel', () => {
  it('broadcastOffsets gives the source element of each broadcast one', () => {
    expect(Array.from(broadcastOffsets([3, 1], [3, 2]))).toEqual([0, 0, 1, 1, 2, 2]);
    expect(Array.from(broadcastOffsets([2], [3, 2]))).toEqual([0, 1, 0, 1, 0, 1]);
    expect(Array.from(broadcastOffsets([], [2, 2]))).toEqual([0, 0, 0, 0]);
    expect(Array.from(broadcastOffsets([2, 1, 2], [2, 3, 2]))).toEqual([0, 1, 0, 1, 0, 1, 2, 3, 2, 3, 2, 3]);
  });

  it('segmentSumRows writes every output row, the unused ones as zeros', () => {
    const out = new Float32Array(8).fill(NaN);
    segmentSumRows(Float32Array.from([1, 2, 3, 4, 5, 6]), Int32Array.from([3, -1, 3]), 1, 3, 2, 4, out);
    expect(Array.from(out)).toEqual([0, 0, 0, 0, 0, 0, 6, 8]);
  });
});
