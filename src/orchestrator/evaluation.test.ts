import { describe, expect, it } from 'vitest';
import type { EvalReport } from '../protocol';
import { evaluateSplit, evaluationSlices } from './evaluation';
import { newMember } from './roster';
import type { Member } from './run-state';
import type { TrainerCalls, WorkerHandle } from './worker-handle';

/** Test label i is right when `right(i)`; each member answers for its slice, or fails when `fails`. */
function member(id: number, stepMs: number, right: (i: number) => boolean, calls: number[][], fails = false): Member {
  const api = {
    evaluate: async (start: number, count: number): Promise<EvalReport> => {
      calls.push([id, start, count]);
      if (fails) throw new Error(`worker ${id} lost`);
      let correct = 0;
      for (let i = start; i < start + count; i++) if (right(i)) correct++;
      return { accuracy: correct / count, loss: 1 - correct / count, samples: count, evalMs: 1 };
    },
  } as unknown as TrainerCalls;
  const worker = {
    id,
    requested: 'cpu',
    report: { requested: 'cpu', backend: 'cpu', failures: [], adapter: null, wasm: null, tfBackend: 'cpu' },
    lostReason: () => null,
    call: <T>(f: (a: TrainerCalls) => Promise<T> | T) => Promise.resolve(f(api)),
    terminate: () => undefined,
  } satisfies WorkerHandle;
  return newMember(worker, { stepMs, measuredStepMs: stepMs }, 1, 1, 32);
}

describe('evaluationSlices', () => {
  it('splits the test set in proportion to speed, in whole evaluation batches, fastest first, covering it exactly once', () => {
    const calls: number[][] = [];
    const slow = member(0, 30, () => true, calls);
    const fast = member(1, 10, () => true, calls);
    const mid = member(2, 20, () => true, calls);
    const slices = evaluationSlices([slow, fast, mid], 10_000);
    expect(slices.map((s) => s.member)).toEqual([fast, mid, slow]);
    // Speeds 6:3:2 of 10,000 = 5455 : 2727 : 1818, the slower two rounded down to whole batches of 500.
    expect(slices.map((s) => [s.start, s.count])).toEqual([[0, 6000], [6000, 2500], [8500, 1500]]);
  });

  it('gives a worker too slow for one evaluation batch nothing (the SwiftShader WebGPU worker beside WASM ones)', () => {
    const calls: number[][] = [];
    const slices = evaluationSlices([member(0, 790, () => true, calls), member(1, 18, () => true, calls), member(2, 16, () => true, calls)], 10_000);
    expect(slices.map((s) => [s.member.worker.id, s.start, s.count])).toEqual([[2, 0, 5500], [1, 5500, 4500]]);
  });
});

describe('evaluateSplit', () => {
  const right = (i: number) => i % 4 !== 0;

  it('combines the slices into the accuracy and loss of the whole', async () => {
    const calls: number[][] = [];
    const report = await evaluateSplit([member(0, 10, right, calls), member(1, 10, right, calls)], 1000);
    expect(report.accuracy).toBe(0.75);
    expect(report.loss).toBeCloseTo(0.25, 12);
    expect(report.samples).toBe(1000);
    expect(calls.map(([id]) => id).sort()).toEqual([0, 1]);
  });

  it('evaluates a range that starts past the first image (a confirmation evaluates only what the subset did not)', async () => {
    const calls: number[][] = [];
    // Right only from index 1000 on: a range starting at 0 would score 0.5.
    const report = await evaluateSplit([member(0, 10, (i) => i >= 1000, calls), member(1, 10, (i) => i >= 1000, calls)], 1000, 1000);
    expect(report.accuracy).toBe(1);
    expect(report.samples).toBe(1000);
    expect(calls.map(([, start, count]) => [start, count]).sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0))).toEqual([[1000, 500], [1500, 500]]);
  });

  it('has a failed slice evaluated again by a member that answered', async () => {
    const calls: number[][] = [];
    const report = await evaluateSplit([member(0, 10, right, calls, true), member(1, 10, right, calls)], 1000);
    expect(report.accuracy).toBe(0.75);
    expect(calls.filter(([id]) => id === 1)).toHaveLength(2);
  });

  it('names the reason when no member can evaluate', async () => {
    await expect(evaluateSplit([], 10)).rejects.toThrow(/No worker is left/);
    const calls: number[][] = [];
    await expect(evaluateSplit([member(0, 10, right, calls, true)], 100)).rejects.toThrow(/worker 0 lost/);
  });
});
