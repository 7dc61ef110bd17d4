import { describe, expect, it } from 'vitest';
import type { Algo } from '../core/config';
import type { WorkerSummary } from '../protocol';
import { fakeRun, fakeWorker } from './run-fixture';
import { freeRate, limitCells, limitPairs, poolRate } from './throughput-limit';

/** A run over 2 s of rounds (training clock 2.5 s, profiling 0.5 s) by `workers`, reaching the target at `timeToTargetMs`. */
function rounds(algo: Algo, workers: WorkerSummary[], timeToTargetMs: number | null, seed: number) {
  return fakeRun(algo, timeToTargetMs, { trainMs: 2500, profileMs: 500, workers }, seed);
}

/** sync on two workers, each 3200 samples in 1 s of busy time: it trained 3200 samples/s and could have trained 6400 had nobody waited. */
const syncRun = (timeToTargetMs: number | null, seed = 1) =>
  rounds('sync', [0, 1].map((id) => fakeWorker(id, { samples: 3200, busyMs: 1000, idleMs: 1000 })), timeToTargetMs, seed);

/** biased: 6000 samples (3000 samples/s), a parked worker beside. */
const biasedRun = (timeToTargetMs: number | null, seed = 1) =>
  rounds('biased', [fakeWorker(0, { samples: 3000, busyMs: 1900 }), fakeWorker(1, { samples: 3000, busyMs: 1900 }), fakeWorker(2, { samples: 0, busyMs: 0 })], timeToTargetMs, seed);

describe('throughput limit', () => {
  it('rates a pool by samples per second of rounds, and free by each training worker over its busy time', () => {
    expect(poolRate(syncRun(1000))).toBeCloseTo(3200);
    expect(freeRate(syncRun(1000))).toBeCloseTo(6400);
    // A parked worker (no samples, no busy time) adds nothing and does not divide by zero.
    expect(freeRate(biasedRun(1000))).toBeCloseTo(2 * (3000 / 1.9));
    expect(poolRate(fakeRun('sync', 1000, { trainMs: 500, profileMs: 500 }))).toBeNull();
  });

  it('weights a worker that left by the share of the run it was in the pool', () => {
    // Worker 1 left after a quarter of the rounds: 800 samples in 250 ms busy, 250 ms waiting.
    const left = rounds('sync', [fakeWorker(0, { samples: 3200, busyMs: 1000, idleMs: 1000 }), fakeWorker(1, { samples: 800, busyMs: 250, idleMs: 250, left: 'it stopped answering' })], 1000, 1);
    // Counted as if it had stayed, it would claim 6400.
    expect(freeRate(left)).toBeCloseTo(3200 + 3200 / 4);
  });

  it("pairs each seed with sync's own run and gives the speed-up as a share of sync's limit", () => {
    const pairs = limitPairs([biasedRun(1000, 1), biasedRun(800, 2)], [syncRun(1600, 2), syncRun(1500, 1)]);
    expect(pairs?.map((p) => p.seed)).toEqual([1, 2]);
    expect(pairs?.[0]?.limit).toBeCloseTo(2);
    expect(pairs?.[0]?.speedup).toBeCloseTo(1.5);
    expect(pairs?.[0]?.share).toBeCloseTo(0.75);
    expect(pairs?.[0]?.rate).toBeCloseTo(3000 / 3200);
    expect(pairs?.[1]?.speedup).toBeCloseTo(2);
    expect(pairs?.[1]?.share).toBeCloseTo(1);
    expect(limitCells(pairs ?? [])).toEqual(['2.00x', '1.75x (1.50–2.00)', '0.88 (0.75–1.00)', '0.94x']);
  });

  it('gives no share when a seed missed the target or has no sync run', () => {
    expect(limitPairs([biasedRun(1000, 1)], [syncRun(null, 1)])).toBeNull();
    expect(limitPairs([biasedRun(null, 1)], [syncRun(1500, 1)])).toBeNull();
    expect(limitPairs([biasedRun(1000, 1), biasedRun(900, 2)], [syncRun(1500, 1)])).toBeNull();
    // A seed sync has and the algorithm lacks (its run failed) leaves it out too.
    expect(limitPairs([biasedRun(1000, 1)], [syncRun(1500, 1), syncRun(1500, 2)])).toBeNull();
  });
});
