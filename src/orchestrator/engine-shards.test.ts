/**
 * Shards at the orchestrator level: rebuilt for new roles when the fastest
 * worker changes, and usable when one worker's round (B x tau_i) is larger
 * than the whole training set.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RoundEvent } from '../protocol';
import type { SharedViews } from '../shared-memory/layout';
import { differs, nodeEngine, onRound, SMALL_RUN, TINY, TINY_TRAIN, type NodeEngine } from './testing/node-engine';

/** What a round event and shared memory show after one round. */
interface AfterRound {
  event: RoundEvent;
  shards: Map<number, Int32Array>;
  losses: Float32Array;
}

function worker(event: RoundEvent, id: number) {
  const w = event.workers.find((x) => x.id === id);
  if (!w) throw new Error(`Round ${event.round} has no worker ${id}: it has ${event.workers.map((x) => x.id).join(', ') || 'none'}.`);
  return w;
}

/** The median of `losses`, unseen samples (+Infinity) ranking highest. */
function median(losses: Float32Array): number {
  const sorted = Float32Array.from(losses).sort();
  return sorted[sorted.length >> 1] ?? Number.NaN;
}

describe('Engine roles when the fastest worker changes (adaptive budgets)', () => {
  const FAST_MS = 10;
  /** Worker 0 is the faster until it becomes 4x slower from round 3; worker 1 steps at 2x worker 0's first speed throughout. */
  const stepTimes = (id: number, round: number): number => (id === 0 ? (round >= 3 ? 4 * FAST_MS : FAST_MS) : 2 * FAST_MS);
  let node: NodeEngine;
  let views: SharedViews;

  beforeAll(async () => {
    node = nodeEngine({ stepTimes });
    views = await node.views();
  });
  afterAll(() => node.close());

  it('biases the new slow worker from the flip on, on a shard built for it from the loss table', async () => {
    const seen: AfterRound[] = [];
    const off = onRound(node.engine, (event) =>
      seen.push({ event, shards: new Map([0, 1].map((id) => [id, views.shard(id).slice()])), losses: views.losses.slice() }),
    );
    // The authors' period and pool: a shard is rebuilt only for the flip, so the flip is what this sees.
    const result = await node.engine
      .run({ ...SMALL_RUN, algo: 'biased', adaptiveBudgets: true, biasDirection: 'slow', resampleEvery: 0, biasPool: 'all', maxRounds: 6 })
      .finally(off);
    expect(result.rounds).toBe(6);

    // Worker 0's estimate after round 3 is 0.7 x 40 + 0.3 x 10 = 31 ms > 20 ms: worker 1 is the fastest from round 4.
    expect(seen.map((s) => [worker(s.event, 0).biased, worker(s.event, 1).biased])).toEqual([
      [false, true],
      [false, true],
      [false, true],
      [true, false],
      [true, false],
      [true, false],
    ]);

    const [before, flip] = [seen[2], seen[3]];
    if (!before || !flip) throw new Error(`Expected rounds 3 and 4, saw ${seen.map((s) => s.event.round).join(', ')}.`);
    // Round 4 reads a new shard for worker 0, not the rest of the uniform one it had as the fast worker.
    expect(differs(flip.shards.get(0) ?? [], before.shards.get(0) ?? []), 'worker 0 shard at the flip').not.toBeNull();

    // Built for a biased worker: its round-4 samples rank high in the loss table as it stood after round 3.
    const window = (flip.shards.get(0) ?? new Int32Array(0)).subarray(0, worker(flip.event, 0).steps * (SMALL_RUN.batchSize ?? 0));
    expect(window.length).toBeGreaterThan(0);
    const cut = median(before.losses);
    const high = [...window].filter((i) => (before.losses[i] ?? Number.NaN) >= cut).length;
    expect(high / window.length, `share of worker 0's round-4 samples at or above the median loss ${cut}`).toBeGreaterThanOrEqual(0.9);
  });
});

describe(`Engine on a training set smaller than one worker's round (${TINY_TRAIN} images, B x tauFast = 128)`, () => {
  let node: NodeEngine;

  beforeAll(() => {
    node = nodeEngine();
  });
  afterAll(() => node.close());

  it.each(['biased', 'local', 'fast-only', 'sync'] as const)('%s runs every round, every sample seen', async (algo) => {
    const batchSize = 16;
    const rounds: RoundEvent[] = [];
    const off = onRound(node.engine, (e) => rounds.push(e));
    const result = await node.engine.run({ ...SMALL_RUN, dataset: TINY, algo, batchSize, tauFast: 8, maxRounds: 3 }).finally(off);

    expect(result.stoppedBy).toBe('rounds');
    expect(result.rounds).toBe(3);
    expect(rounds.map((e) => e.round)).toEqual([1, 2, 3]);
    for (const e of rounds) {
      expect(Number.isFinite(e.loss)).toBe(true);
      expect(e.workers.length).toBeGreaterThan(0);
      for (const w of e.workers) {
        expect(w.steps).toBe(w.tau);
        expect(w.samples).toBe(w.steps * batchSize);
      }
    }
    const losses = (await node.views(TINY)).losses;
    expect([...losses].filter((l) => !Number.isFinite(l))).toEqual([]);
  });
});

describe('Loss-biased sampling from round 2 (shards rebuilt every round, pool of seen samples)', () => {
  let node: NodeEngine;
  let views: SharedViews;

  beforeAll(async () => {
    // Worker 1 steps at half worker 0's speed: it is the slow, biased one.
    node = nodeEngine({ stepTimes: (id) => (id === 0 ? 10 : 20) });
    views = await node.views();
  });
  afterAll(() => node.close());

  it("gives the biased worker batches whose recorded loss is higher than the uniform worker's", async () => {
    const seen: AfterRound[] = [];
    const off = onRound(node.engine, (event) =>
      seen.push({ event, shards: new Map([0, 1].map((id) => [id, views.shard(id).slice()])), losses: views.losses.slice() }),
    );
    const config = { ...SMALL_RUN, algo: 'biased' as const, adaptiveBudgets: false, resampleEvery: 1, biasPool: 'seen' as const, lambda: 0.5, maxRounds: 2 };
    await node.engine.run(config).finally(off);
    const [first, second] = seen;
    if (!first || !second) throw new Error(`Expected rounds 1 and 2, saw ${seen.map((s) => s.event.round).join(', ')}.`);
    expect([worker(second.event, 0).biased, worker(second.event, 1).biased]).toEqual([false, true]);
    const batches = (id: number): number[] => [...(second.shards.get(id) ?? new Int32Array(0)).subarray(0, worker(second.event, id).steps * (config.batchSize ?? 0))];
    const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
    const biased = batches(1);
    const uniform = batches(0);

    // Drawn from what round 1 recorded: every biased sample has a loss, and they average above all recorded ones.
    const before = biased.map((i) => first.losses[i] ?? Number.NaN);
    expect(before.every(Number.isFinite)).toBe(true);
    const recorded = [...first.losses].filter(Number.isFinite);
    expect(mean(before)).toBeGreaterThan(mean(recorded));
    // Trained on in round 2, they still cost more than the uniform worker's.
    const after = (samples: number[]) => mean(samples.map((i) => second.losses[i] ?? Number.NaN));
    expect(after(biased)).toBeGreaterThan(after(uniform));
  });
});

describe('A worker that leaves hands back the uniform samples it did not train on', () => {
  const node = nodeEngine();
  afterAll(() => node.close());

  it('so the pass still trains on every sample once', async () => {
    const views = await node.views();
    // Shards for the authors' period: 512 / (16 x 4 x 2) = 4 rounds, 256 samples each. Worker 1 leaves
    // after round 1 with 192 of its 256 untrained; worker 0 ends its own shard in round 4 and, alone,
    // gets a new one whose first 192 are those: after round 7 every sample has a recorded loss.
    const off = onRound(node.engine, (event) => {
      if (event.round === 1) node.engine.removeWorker(1);
    });
    const result = await node.engine.run({ ...SMALL_RUN, algo: 'local', resampleEvery: 0, maxRounds: 7 }).finally(off);
    expect(result.rounds).toBe(7);
    expect(result.workers.map((w) => w.samples)).toEqual([7 * 64, 64]);
    expect([...views.losses].filter((l) => !Number.isFinite(l))).toHaveLength(0);
  });
});
