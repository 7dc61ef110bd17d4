import { describe, expect, it } from 'vitest';
import { createRng } from '../core/rng';
import { buildShards, giveBack, shardWindow, uniformStream } from '../core/sampler';
import { roundsPerPeriod } from '../core/schedule';
import { planShards, shardsStale, type ShardNeed } from './shard-planner';

/** The authors' period and pool, a fresh stream, notes ignored. */
const AUTHORS = { resampleEvery: 0, pool: 'all', stream: uniformStream(), note: () => undefined } as const;

const cursor = (offset: number, length: number, builtBiased: boolean) => ({ offset, length, stored: length, builtBiased, uniformFrom: 0 });

describe('shardsStale', () => {
  it('asks for new shards when none were built, when a round would run past one, or when a role flipped', () => {
    const fine: ShardNeed[] = [
      { cursor: cursor(0, 64, false), samples: 32, biased: false },
      { cursor: cursor(32, 64, true), samples: 16, biased: true },
    ];
    expect(shardsStale(fine)).toBe(false);
    expect(shardsStale([{ cursor: cursor(0, 0, false), samples: 16, biased: false }])).toBe(true);
    expect(shardsStale([{ cursor: cursor(40, 64, false), samples: 32, biased: false }])).toBe(true);
    // The fastest worker changed: the formerly biased worker is now unbiased, and the other way round.
    expect(shardsStale([{ ...fine[0]!, biased: true }, { ...fine[1]!, biased: false }])).toBe(true);
    // A filler's bound must fit too: 32 samples left, 32 budgeted, up to 64 allowed.
    expect(shardsStale([{ cursor: cursor(32, 64, false), samples: 32, bound: 64, biased: false }])).toBe(true);
  });
});

describe('planShards with fillers (slowWorkers fill)', () => {
  it('sizes the period and the biased quota by the budgets; a filler’s room to read on is uniform, after a biased quota', () => {
    const n = 1000;
    const losses = Float32Array.from({ length: n }, (_, i) => i);
    const stream = uniformStream();
    const plan = planShards({
      needs: [
        { cursor: cursor(0, 0, false), samples: 50, bound: 200, biased: false },
        { cursor: cursor(0, 0, false), samples: 25, bound: 100, biased: true },
      ],
      n, lambda: 0.25, losses, rng: createRng(8), capacity: n, ...AUTHORS, stream,
    });
    // The authors' period from the budgets (75 a round): 13 rounds, not the 3 the bounds would give.
    const rounds = roundsPerPeriod(n, 1, [50, 25]);
    expect(rounds).toBe(13);
    expect(plan.cursors.map((c) => c.length)).toEqual([50 * rounds + 150, 25 * rounds + 75]);
    expect(plan.cursors.map((c) => c.uniformFrom)).toEqual([0, 25 * rounds]);
    // The biased quota is the 325 highest losses (a pool of 1300 clamped to the 1000 there are); the room
    // after it is uniform. The uniform parts come from one pass: no sample twice among them.
    const biased = plan.stored[1]!;
    expect(Math.min(...biased.subarray(0, 25 * rounds))).toBeGreaterThanOrEqual(n - 325);
    expect(Math.min(...biased.subarray(25 * rounds))).toBeLessThan(n - 325);
    const uniform = [...plan.stored[0]!, ...biased.subarray(25 * rounds)];
    expect(new Set(uniform).size).toBe(uniform.length);
  });

  it('serves what came back, then the pass’s tail, then a fresh pass with those last: no repeats in a shard', () => {
    const n = 10;
    const stream = uniformStream();
    const draw = (samples: number) =>
      planShards({
        needs: [{ cursor: cursor(0, 0, false), samples, biased: false }],
        n, lambda: 1, losses: new Float32Array(n), rng: createRng(samples), capacity: n,
        resampleEvery: 1, pool: 'seen', stream, note: () => undefined,
      }).stored[0]!;
    const first = draw(8);
    // Two of them come back: the shard of 10 is those two, the pass's last two, and six of a fresh pass.
    giveBack(stream, first.slice(6));
    const second = draw(10);
    expect([...second.subarray(0, 2)]).toEqual([...first.subarray(6)]);
    expect(new Set(second).size).toBe(10);
    expect(new Set([...first.subarray(0, 6), ...second.subarray(0, 4)]).size).toBe(10);
  });
});

describe('planShards', () => {
  it('stores one period of a shard longer than the training set, and reading it with wrap-around gives the whole shard', () => {
    const n = 40;
    const losses = new Float32Array(n).map((_, i) => i);
    const needs: ShardNeed[] = [
      // B = 16: 8 and 4 steps.
      { cursor: cursor(0, 0, false), samples: 128, biased: false },
      { cursor: cursor(0, 0, false), samples: 64, biased: true },
    ];
    const plan = planShards({ needs, n, lambda: 0.5, losses, rng: createRng(3), capacity: n, ...AUTHORS });
    const full = buildShards({
      n, batchSize: 16, taus: [8, 4], rounds: roundsPerPeriod(n, 16, [8, 4]), biased: [false, true], lambda: 0.5, losses, rng: createRng(3),
    });
    plan.cursors.forEach((c, i) => {
      const shard = full[i]!;
      expect(c.length).toBe(shard.length);
      expect(c.length).toBeGreaterThan(n);
      expect(c.stored).toBe(n);
      expect(c.builtBiased).toBe(needs[i]!.biased);
      const stored = plan.stored[i]!;
      for (let start = 0; start + 16 <= shard.length; start += 16) {
        expect([...shardWindow(stored, c.stored, start, 16)]).toEqual([...shard.subarray(start, start + 16)]);
      }
    });
  });

  it('stores a shard that fits as it is', () => {
    const n = 1000;
    const plan = planShards({
      needs: [{ cursor: cursor(0, 0, false), samples: 20, biased: false }],
      n, lambda: 1, losses: new Float32Array(n), rng: createRng(1), capacity: n, ...AUTHORS,
    });
    expect(plan.cursors[0]).toEqual({ offset: 0, length: 1000, stored: 1000, builtBiased: false, uniformFrom: 0 });
    expect(new Set(plan.stored[0]).size).toBe(1000);
  });

  it('rebuilds every resampleEvery rounds, and carries the unbiased permutation across rebuilds without repeats', () => {
    const n = 100;
    const stream = uniformStream();
    const seen: number[] = [];
    for (let round = 0; round < 5; round++) {
      const plan = planShards({
        needs: [{ cursor: cursor(0, 0, false), samples: 20, biased: false }],
        n, lambda: 1, losses: new Float32Array(n), rng: createRng(round), capacity: n,
        resampleEvery: 1, pool: 'seen', stream, note: () => undefined,
      });
      expect(plan.cursors[0]?.length).toBe(20);
      seen.push(...plan.stored[0]!);
    }
    // Five rebuilds of 20: one pass over the 100 samples.
    expect(new Set(seen).size).toBe(100);
  });

  it('serves first what an unbiased worker was given and did not train on, so a pass still trains on every sample once', () => {
    const n = 100;
    const stream = uniformStream();
    const trained: number[] = [];
    let returned = new Int32Array(0);
    // Each round draws 20 (a filler's bound) and trains on the first 10: the other 10 go back.
    for (let round = 0; round < 10; round++) {
      const plan = planShards({
        needs: [{ cursor: cursor(0, 0, false), samples: 20, biased: false }],
        n, lambda: 1, losses: new Float32Array(n), rng: createRng(round), capacity: n,
        resampleEvery: 1, pool: 'seen', stream, note: () => undefined,
      });
      const given = plan.stored[0]!;
      expect([...given.subarray(0, returned.length)]).toEqual([...returned]);
      trained.push(...given.subarray(0, 10));
      returned = given.slice(10);
      giveBack(stream, returned);
    }
    // Ten rounds of 10 trained: exactly one pass.
    expect(trained).toHaveLength(100);
    expect(new Set(trained).size).toBe(100);
  });
});
