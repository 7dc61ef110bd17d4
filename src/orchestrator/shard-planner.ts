/**
 * When members need new shards, and what goes into shared memory. Pure over
 * typed arrays: the sampler (core/sampler.ts) chooses the samples; this
 * decides when, and fits each shard into its fixed-size region.
 *
 * A shard holds B_i * tau_i * rounds-per-period samples (resampleEvery rounds,
 * or about one pass over the data). The region holds at
 * most N (the training set). A longer shard only arises when B * tau_i > N,
 * and then the sampler's shard repeats with period N (every N-long window is
 * a permutation), so storing its first N entries and reading with wrap-around
 * gives exactly the same samples.
 */
import type { BiasPool } from '../core/config';
import type { Rng } from '../core/rng';
import { buildShards, type UniformStream } from '../core/sampler';
import { roundsPerPeriod } from '../core/schedule';
import type { ShardCursor } from './run-state';

/** What the planner needs of one member. */
export interface ShardNeed {
  cursor: ShardCursor;
  /** Samples the member reads in a round: its steps times its batch size. */
  samples: number;
  /**
   * Samples it may read this round when it fills the round by time: its shard
   * holds this much room beyond a period of `samples` (uniform samples, after
   * a biased member's quota), and is rebuilt when less is left. Default
   * `samples`.
   */
  bound?: number;
  biased: boolean;
}

/**
 * True when some member's next steps would run past its shard, or its bias
 * role has changed since its shard was built (roles follow the fastest
 * worker, which adaptive budgets can change).
 */
export function shardsStale(needs: readonly ShardNeed[]): boolean {
  return needs.some(({ cursor, samples, bound, biased }) => cursor.length === 0 || cursor.offset + (bound ?? samples) > cursor.length || cursor.builtBiased !== biased);
}

export interface ShardPlan {
  /** Per member, what to write at the start of its shard region (at most `capacity` entries). */
  stored: Int32Array[];
  /** Per member, its new cursor. */
  cursors: ShardCursor[];
}

/** New shards for every member, for one reassignment period. */
export function planShards(input: {
  needs: readonly ShardNeed[];
  n: number;
  lambda: number;
  losses: Float32Array;
  rng: Rng;
  /** Entries one member's shard region holds. */
  capacity: number;
  /** Rounds the shards last; 0 = about one pass over the data (the authors' period). */
  resampleEvery: number;
  pool: BiasPool;
  stream: UniformStream;
  note: (text: string) => void;
}): ShardPlan {
  const { needs, n, capacity } = input;
  // Counted in samples (batch 1, "steps" of B_i x tau_i samples): members may read different batch sizes.
  const perRound = needs.map((w) => w.samples);
  const rounds = input.resampleEvery > 0 ? input.resampleEvery : roundsPerPeriod(n, 1, perRound);
  const shards = buildShards({
    n,
    batchSize: 1,
    taus: perRound,
    rounds,
    // The period and the biased quota follow the budgets; a filler's room to read on is extra, uniform.
    extra: needs.map((w) => Math.max(0, (w.bound ?? w.samples) - w.samples)),
    pool: input.pool,
    stream: input.stream,
    note: input.note,
    biased: needs.map((w) => w.biased),
    lambda: input.lambda,
    losses: input.losses,
    rng: input.rng,
  });
  const stored = shards.map((shard) => {
    if (shard.length > capacity && capacity < n) {
      throw new Error(`Invalid capacity: ${capacity}. A shard region must hold at least N = ${n} samples.`);
    }
    return shard.length > capacity ? shard.subarray(0, capacity) : shard;
  });
  return {
    stored,
    cursors: shards.map((shard, i) => ({
      offset: 0,
      length: shard.length,
      stored: stored[i]?.length ?? 0,
      builtBiased: needs[i]?.biased ?? false,
      uniformFrom: needs[i]?.biased ? (perRound[i] ?? 0) * rounds : 0,
    })),
  };
}
