/**
 * What one run carries from round to round, shared by the run loop, the
 * round strategies and the roster. Types only: who changes what is said on
 * each field.
 */
import type { RunTotals } from '../checkpoint/format';
import type { Mechanisms, RunConfig } from '../core/config';
import type { Rng } from '../core/rng';
import type { UniformStream } from '../core/sampler';
import type { WorkerRoundStats } from '../protocol';
import type { Prepared } from './dataset-memory';
import type { RunClock } from './run-clock';
import type { DivergenceGuard } from './run-helpers';
import type { RoundSnapshots } from './target-refinement';
import type { WorkerHandle } from './worker-handle';

/** Where a member is in the shard it reads from (see shard-planner.ts). */
export interface ShardCursor {
  /** Samples of the period's shard consumed so far. */
  offset: number;
  /** Samples in the period's shard: B * tau * rounds-per-period when it was built; 0 = none yet. */
  length: number;
  /** Entries of it held in shared memory (at most the shard capacity); reads wrap at this. */
  stored: number;
  /** The member's bias role when the shard was built: a flip of roles means a new shard. */
  builtBiased: boolean;
  /** Entries from here on came from the uniform stream (all of an unbiased shard; a biased one's room past its quota). */
  uniformFrom: number;
}

/** One worker within one run. The roster adds and removes members; strategies update the counters. */
export interface Member {
  worker: WorkerHandle;
  /** Samples per step: batchSize, or its backend's entry in batchSizeByBackend. */
  batch: number;
  /** Step time that sets budgets and roles, ms: profiled, then smoothed each round when budgets are adaptive. */
  estimateMs: number;
  /** Median step time of the member's last round, emulated slowdown included, ms. */
  stepMs: number;
  /** The same without the emulated wait, ms. */
  measuredStepMs: number;
  /** Emulated slowdown factor in force (1 = none). */
  slowdown: number;
  /** Local steps per round. */
  tau: number;
  /** Its steps set the round's length and the others fill its time (slowWorkers fill); see Budgets.paces. */
  paces: boolean;
  /** Steps it takes before a pacer's end may close its round; see Budgets.floor. */
  floor: number;
  /** Reads its shard from the high-loss selection. */
  biased: boolean;
  shard: ShardCursor;
  steps: number;
  samples: number;
  busyMs: number;
  idleMs: number;
}

/** A member's part of one round, as round events report it (tensor count added by the event builder). */
export type MemberWork = Omit<WorkerRoundStats, 'tensors'>;

/** A member that left during a round, with why. */
export interface Departure {
  member: Member;
  reason: string;
}

/** What a round strategy hands back to the run loop. */
export interface RoundOutcome {
  /** Mean training loss of the round (NaN when no worker contributed). */
  loss: number;
  aggregateMs: number;
  exchangeMs: number;
  /** The members whose work counted this round. */
  work: Map<Member, MemberWork>;
  /** Members whose model held NaN or Infinity this round (left out of the average). */
  nonFinite: number;
  /** The round stopped before its steps were done because an evaluation inside it reached the target. */
  endedEarly: boolean;
  lost: Departure[];
}

/** Everything one run carries from round to round. */
export interface RunState {
  /** Identifies the run across its saves and resumes. */
  readonly runId: string;
  /** Per-worker work of a resumed run's earlier part (from its checkpoint's totals), for whole-run totals. */
  readonly priorWork: readonly RunTotals['workers'][number][];
  readonly config: RunConfig;
  readonly mech: Mechanisms;
  readonly memory: Prepared;
  readonly clock: RunClock;
  /** Training members, in seat order; the roster owns the list. */
  members: Member[];
  /** Members that left, for the result. */
  departed: Member[];
  /** Started and seated, not training: the pool trains faster without them (parking: auto), with why. */
  parked: { member: Member; reason: string }[];
  /**
   * fast-only's other members: profiled and seated, not training. They take
   * their slices of every evaluation, so evaluation costs fast-only what it
   * costs the algorithms it is compared with.
   */
  benched: Member[];
  /** Workers joined or left since the pool was last checked: check it before the next round. */
  poolChanged: boolean;
  /** Advanced (never forked) by every shard rebuild, so periods differ. */
  readonly shardRng: Rng;
  /** The unbiased workers' walk through the data, across shard rebuilds. */
  readonly uniform: UniformStream;
  /** Notes already told once this run (the planner's are the same every rebuild). */
  readonly told: Set<string>;
  /** Rounds started: the round in progress, or the last one. */
  round: number;
  learningRate: number;
  /** theta_bar after the last round whose loss the guard accepted. */
  readonly lastGood: Float32Array;
  readonly guard: DivergenceGuard;
  /** Notes for the next round event (workers that left, joined, were excluded; lr changes). */
  notes: string[];
  /** Why the run ended early, for people (divergence). */
  message: string | null;
  /**
   * The last round whose model theta_bar holds: `round` between rounds, one
   * less while a round trains or after a diverged round was undone. A
   * snapshot is of this round.
   */
  committedRound: number;
  /** The loss table as the committed round left it: what a snapshot taken mid-round saves, and what divergence restores. */
  readonly lossesAtRoundStart: Float32Array;
  lastAccuracy: number | null;
  /** Tells people (the engine's log events). */
  readonly log: (level: 'info' | 'warn' | 'error', message: string) => void;
  /** The round after which theta_bar was last evaluated on the whole test set, with that accuracy. */
  fullEval: { round: number; accuracy: number; loss: number | null } | null;
  /** theta_bar at each round's end since the last evaluation, while a target is pending (the run loop keeps, evaluation clears). */
  readonly snapshots: RoundSnapshots;
}
