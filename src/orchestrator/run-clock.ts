/**
 * The one place that decides what time counts in a run, how long an epoch
 * is, when the run stops and when it reached its target.
 *
 * Clocks (ms):
 * - wall: from `run()` being called to now, everything included (loading,
 *   start-up, profiling, rounds, evaluations, pauses). A resumed run goes on
 *   from the wall time of its checkpoint's last round.
 * - train: the rounds only (evaluation, profiling and pauses excluded), the
 *   clock the paper compares; a resumed run goes on from its checkpoint's.
 * - eval, aggregate, exchange: sums of those parts, reported beside train.
 */
import type { RunConfig } from '../core/config';
import type { RunResult } from '../protocol';

export type StopReason = RunResult['stoppedBy'];

/** Rounds per epoch as ALGORITHM.md counts them: floor(N / (B * K * tauFast)), at least 1. */
export function roundsPerEpoch(n: number, config: Pick<RunConfig, 'batchSize' | 'tauFast'>, workers: number): number {
  return Math.max(1, Math.floor(n / (config.batchSize * Math.max(1, workers) * config.tauFast)));
}

export class RunClock {
  private readonly startedAt: number;
  trainMs: number;
  evalMs = 0;
  aggregateMs = 0;
  exchangeMs = 0;
  /** Training clock when the target accuracy was first reached, or null. */
  timeToTargetMs: number | null = null;
  /** Set once the pool is seated: epochs count in rounds of the pool the run started with. */
  roundsPerEpoch = 1;

  constructor(
    private readonly config: RunConfig,
    resumed: { trainMs: number; wallMs: number } | null = null,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.trainMs = resumed?.trainMs ?? 0;
    this.startedAt = this.now() - (resumed?.wallMs ?? 0);
  }

  wallMs(): number {
    return this.now() - this.startedAt;
  }

  /** Times `work` as a round: it counts on the training clock. */
  async round<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
    const t0 = this.now();
    const value = await work();
    const ms = this.now() - t0;
    this.trainMs += ms;
    return { value, ms };
  }

  /** Counts an evaluation; the first at or above the target sets the time to target (the training clock then). */
  evaluated(accuracy: number, ms: number): void {
    this.evalMs += ms;
    const target = this.config.targetAccuracy;
    if (this.timeToTargetMs === null && target !== null && accuracy >= target) this.timeToTargetMs = this.trainMs;
  }

  /** Round limit from `epochs`, or null. */
  epochRounds(): number | null {
    return this.config.epochs === null ? null : Math.max(1, Math.round(this.config.epochs * this.roundsPerEpoch));
  }

  /** The fractional epoch at the start of round `round` (1-based): what the learning-rate schedule reads. */
  epochAt(round: number): number {
    return (round - 1) / this.roundsPerEpoch;
  }

  /** Why the run stops after round `round`, or null to go on. The order is the precedence. */
  stopAfter(round: number, stopRequested: boolean): StopReason | null {
    const { config } = this;
    if (this.timeToTargetMs !== null && config.stopAtTarget) return 'target';
    if (stopRequested) return 'user';
    if (config.maxRounds !== null && round >= config.maxRounds) return 'rounds';
    const epochRounds = this.epochRounds();
    if (epochRounds !== null && round >= epochRounds) return 'epochs';
    if (this.trainMs >= config.maxSeconds * 1000) return 'time';
    return null;
  }
}
