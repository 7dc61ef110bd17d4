/**
 * The one place that decides what time counts in a run, how long an epoch
 * is, when the run stops and when it reached its target.
 *
 * Clocks (ms):
 * - wall: from `run()` being called to now, everything included (loading,
 *   start-up, profiling, rounds, evaluations, checkpoints, pauses). A resumed
 *   run goes on from the wall time of its checkpoint's last round.
 * - train: profiling and the rounds, evaluation excluded (also evaluation
 *   inside a round), the clock the paper compares. Every algorithm is
 *   profiled, so every algorithm pays for it. A resumed run goes on from its
 *   checkpoint's.
 * - eval, aggregate, exchange, profile: sums of those parts.
 *
 * Time to target: the training clock at the first evaluation whose accuracy
 * the whole test set confirms to be at or above the target. Evaluations are
 * discrete, so the crossing lies after the evaluation before it: both are
 * kept, and the wall clock at the confirmation. Kept round-end models can
 * narrow that interval afterwards (narrowTarget).
 */
import type { RunTotals } from '../checkpoint/format';
import type { RunConfig } from '../core/config';
import { fewStepPacers } from '../core/schedule';
import type { EvaluatedPoint, RoundEvent, RunResult } from '../protocol';

export type StopReason = RunResult['stoppedBy'];

/**
 * The closest two evaluations come for targetResolution: early in a run a
 * tenth of the time would mean an evaluation every few steps, each costing
 * more than the steps between.
 */
export const MIN_PROBE_GAP_MS = 250;

/**
 * How much coarser the target cadence (its growth and its floor) is before
 * the first evaluation and while the last one is more than targetWindow
 * below the target: far from it, a tenth of the time between evaluations
 * buys resolution nobody reads, at the cost of an evaluation every few
 * rounds (and a crossing that jumps the window is narrowed afterwards,
 * target-refinement.ts).
 */
export const FAR_RESOLUTION_FACTOR = 3;

/** Rounds per epoch as the paper counts them: floor(N / (B * K * tauFast)), at least 1. */
export function roundsPerEpoch(n: number, config: Pick<RunConfig, 'batchSize' | 'tauFast'>, workers: number): number {
  return Math.max(1, Math.floor(n / (config.batchSize * Math.max(1, workers) * config.tauFast)));
}

/** Where a resumed run's clocks go on from (see resumedClocks in checkpointing.ts). */
export interface ResumedClocks {
  trainMs: number;
  wallMs: number;
  /** The sums of the run's earlier part; null when the checkpoint does not have them. */
  totals: RunTotals | null;
}

export class RunClock {
  private readonly startedAt: number;
  trainMs: number;
  profileMs = 0;
  evalMs = 0;
  aggregateMs = 0;
  exchangeMs = 0;
  /** Training clock at the first confirmed crossing of the target, or null. */
  timeToTargetMs: number | null = null;
  /** Training clock at the evaluation before that crossing. */
  targetAfterMs: number | null = null;
  /** Wall clock when the whole test set confirmed the target. */
  wallTimeToTargetMs: number | null = null;
  /** Whole-test-set evaluations: count, summed time and summed slowest slice (see RunResult.wholeTestSet). */
  readonly wholeTestSet = { evaluations: 0, workers: 0, ms: 0, sliceMs: 0 };
  /**
   * Set once the pool is seated: rounds per epoch at tauFast steps a round,
   * with the pool the run started with (README, How it works: epochs).
   */
  roundsPerEpoch = 1;
  /**
   * Fast-worker iterations so far: each committed round adds its
   * roundIterations. Epochs count these, roundsPerEpoch x tauFast
   * to an epoch, so a round that `slowWorkers: fill` stretched counts for
   * the steps it held, and every algorithm gets the same iterations.
   */
  fastSteps = 0;
  /** Training clock at the last evaluation (for the cadence and the crossing's interval). */
  private lastEvalTrainMs = 0;
  /** Accuracy of the last evaluation (subset or whole set), null before the first. */
  private lastAccuracy: number | null = null;
  /** Wall ms the last evaluation took (for maxEvalShare). */
  private lastEvalCostMs = 0;
  /** Start of the round (or profiling) in progress, and time spent off the training clock inside it. */
  private round$: { start: number; offMs: number } | null = null;

  constructor(
    private readonly config: RunConfig,
    resumed: ResumedClocks | { trainMs: number; wallMs: number } | null = null,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.trainMs = resumed?.trainMs ?? 0;
    const totals = resumed && 'totals' in resumed ? resumed.totals : null;
    if (totals) {
      this.profileMs = totals.profileMs;
      this.evalMs = totals.evalMs;
      this.aggregateMs = totals.aggregateMs;
      this.exchangeMs = totals.exchangeMs;
      Object.assign(this.wholeTestSet, totals.wholeTestSet);
    }
    this.lastEvalTrainMs = this.trainMs;
    this.startedAt = this.now() - (resumed?.wallMs ?? 0);
  }

  wallMs(): number {
    return this.now() - this.startedAt;
  }

  /** The training clock now, also in the middle of a round. */
  trainMsNow(): number {
    const r = this.round$;
    return r ? this.trainMs + (this.now() - r.start - r.offMs) : this.trainMs;
  }

  /** Times profiling: on the training clock. */
  async profiling<T>(work: () => Promise<T>): Promise<T> {
    const r = { start: this.now(), offMs: 0 };
    this.round$ = r;
    try {
      return await work();
    } finally {
      this.round$ = null;
      const ms = this.now() - r.start;
      this.profileMs += ms;
      this.trainMs += ms;
    }
  }

  /**
   * Calls `expire` once the training clock passes maxSeconds, also in the
   * middle of a round or of profiling (which then end at the step in
   * progress); returns the cancel. Polled: evaluations pause the clock.
   */
  watchTimeLimit(expire: () => void): () => void {
    const limitMs = this.config.maxSeconds * 1000;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const check = (): void => {
      const left = limitMs - this.trainMsNow();
      if (left <= 0) {
        timer = null;
        expire();
      } else timer = setTimeout(check, Math.min(Math.max(left, 20), 1000));
    };
    check();
    return () => {
      if (timer !== null) clearTimeout(timer);
      timer = null;
    };
  }

  /** Times `work` as a round: on the training clock, less what it spent in `offClock`. */
  async round<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
    const r = { start: this.now(), offMs: 0 };
    this.round$ = r;
    try {
      const value = await work();
      const ms = this.now() - r.start - r.offMs;
      this.trainMs += ms;
      return { value, ms };
    } finally {
      this.round$ = null;
    }
  }

  /** Times an evaluation: off the training clock (also inside a round), on the eval sum. */
  async evaluation<T>(work: () => Promise<T>): Promise<T> {
    const t0 = this.now();
    try {
      return await work();
    } finally {
      const ms = this.now() - t0;
      this.evalMs += ms;
      this.lastEvalCostMs = ms;
      if (this.round$) this.round$.offMs += ms;
    }
  }

  /**
   * Training-clock ms that must pass after an evaluation costing `lastEvalCostMs`
   * so that evaluating stays within maxEvalShare of the time: cost x (1 - s) / s.
   */
  private costGapMs(): number {
    const share = this.config.maxEvalShare;
    return share > 0 ? (this.lastEvalCostMs * (1 - share)) / share : 0;
  }

  /** True when maxEvalShare lets an evaluation come now (a round's end every evalEvery rounds asks this). */
  evaluationAffordable(): boolean {
    return this.trainMsNow() - this.lastEvalTrainMs >= this.costGapMs();
  }

  /** True while a target is set, not yet reached, and its cadence (targetResolution) on. */
  targetPending(): boolean {
    return this.config.targetAccuracy !== null && this.timeToTargetMs === null && this.config.targetResolution > 0;
  }

  /** True when an evaluation is due by the training-clock cadence. */
  evaluationDue(): boolean {
    return this.msUntilEvaluation() <= 0;
  }

  /**
   * Training-clock ms until the cadence asks for an evaluation (<= 0: due
   * now; Infinity: never). Two rules, whichever comes first: evalEverySeconds
   * since the last evaluation; and, while a target is pending, a growth of
   * targetResolution over the last evaluation's time (at least
   * MIN_PROBE_GAP_MS later), which puts the crossing's interval within that
   * fraction of the time to target; FAR_RESOLUTION_FACTOR times that growth
   * and that floor before the first evaluation and while the last accuracy
   * is more than targetWindow below the target (never with targetWindow 1).
   * Either waits for maxEvalShare.
   */
  msUntilEvaluation(): number {
    const { evalEverySeconds, targetResolution, targetAccuracy, targetWindow } = this.config;
    const since = this.trainMsNow() - this.lastEvalTrainMs;
    let gap = evalEverySeconds > 0 ? evalEverySeconds * 1000 : Infinity;
    if (targetAccuracy !== null && this.targetPending()) {
      const far = targetWindow < 1 && (this.lastAccuracy === null || this.lastAccuracy < targetAccuracy - targetWindow);
      const factor = far ? FAR_RESOLUTION_FACTOR : 1;
      gap = Math.min(gap, factor * Math.max(MIN_PROBE_GAP_MS, this.lastEvalTrainMs * targetResolution));
    }
    // The cost cap stretches every rule: the time to target's interval widens instead (tables print it).
    return Math.max(gap, this.costGapMs()) - since;
  }

  /**
   * Records an evaluation at training clock `atMs`. `confirmed`: the whole
   * test set puts the model at or above the target (the caller confirms a
   * crossing seen on a subset before saying so). `accuracy`: the figure the
   * evaluation measured, for the cadence (null: leave the last one).
   */
  evaluated(atMs: number, confirmed: boolean, accuracy: number | null = null): void {
    if (accuracy !== null) this.lastAccuracy = accuracy;
    if (confirmed && this.timeToTargetMs === null) {
      this.timeToTargetMs = atMs;
      this.targetAfterMs = this.lastEvalTrainMs;
      this.wallTimeToTargetMs = this.wallMs();
    }
    this.lastEvalTrainMs = atMs;
  }

  /**
   * Narrows the crossing just recorded to (afterMs, atMs], found among kept
   * round-end models between the two evaluations (target-refinement.ts).
   * The wall clock at the confirmation stays: the run knew from then.
   */
  narrowTarget(afterMs: number, atMs: number): void {
    if (this.timeToTargetMs === null || this.targetAfterMs === null) return;
    if (!(afterMs >= this.targetAfterMs && afterMs < atMs && atMs <= this.timeToTargetMs)) {
      throw new Error(
        `Invalid narrowed crossing (${afterMs}, ${atMs}]: it should lie inside the recorded one (${this.targetAfterMs}, ${this.timeToTargetMs}].`,
      );
    }
    this.timeToTargetMs = atMs;
    this.targetAfterMs = afterMs;
  }

  /** Fast-worker iterations in one epoch. */
  stepsPerEpoch(): number {
    return this.roundsPerEpoch * this.config.tauFast;
  }

  /** Fast-worker iterations `epochs` asks for (whole rounds of tauFast), or null. */
  epochSteps(): number | null {
    return this.config.epochs === null ? null : Math.max(1, Math.round(this.config.epochs * this.roundsPerEpoch)) * this.config.tauFast;
  }

  /** Epochs done: what the learning-rate schedule reads at a round's start, and the result reports. */
  epochsDone(): number {
    return this.fastSteps / this.stepsPerEpoch();
  }

  /**
   * A resumed run's fast-worker iterations, from its history as the live run
   * counted them (a round where nobody trained adds none). A round the history
   * lacks, or whose event lists no workers (a file from elsewhere), counts
   * tauFast; a round listed twice counts once.
   */
  resumeFastSteps(history: readonly RoundEvent[], rounds: number): void {
    const byRound = new Map<number, number>();
    for (const e of history) {
      if (!(e.round >= 1 && e.round <= rounds) || byRound.has(e.round) || !Array.isArray(e.workers)) continue;
      byRound.set(e.round, roundIterations(e.workers.map((w) => ({ tau: finiteOr0(w.tau), steps: finiteOr0(w.steps) }))));
    }
    this.fastSteps = [...byRound.values()].reduce((a, b) => a + b, 0) + (rounds - byRound.size) * this.config.tauFast;
  }

  /** Why the run stops after round `round`, or null to go on. The order is the precedence. */
  stopAfter(round: number, stopRequested: boolean): StopReason | null {
    const { config } = this;
    if (this.timeToTargetMs !== null && config.stopAtTarget) return 'target';
    if (stopRequested) return 'user';
    if (config.maxRounds !== null && round >= config.maxRounds) return 'rounds';
    const epochSteps = this.epochSteps();
    if (epochSteps !== null && this.fastSteps >= epochSteps) return 'epochs';
    if (this.trainMs >= config.maxSeconds * 1000) return 'time';
    return null;
  }

  /** A resumed run's time to target, from its history: the first round (or probe) the whole test set confirmed. */
  resumeTarget(history: readonly RoundEvent[]): void {
    const target = this.config.targetAccuracy;
    if (target === null) return;
    let before = 0;
    const reached = (p: { fullAccuracy: number | null }): boolean => (p.fullAccuracy ?? -1) >= target;
    // The crossing at atMs after afterMs, narrowed as its refinement narrowed it: the earliest confirmation, the latest miss before it.
    const found = (atMs: number, afterMs: number, refined: readonly EvaluatedPoint[] = []): void => {
      const at = Math.min(atMs, ...refined.filter(reached).map((p) => p.trainMs));
      const misses = refined.filter((p) => !reached(p) && p.trainMs < at).map((p) => p.trainMs);
      this.timeToTargetMs = at;
      this.targetAfterMs = Math.max(afterMs, ...misses);
    };
    for (const e of history) {
      for (const p of e.probes ?? []) {
        if (reached(p)) return found(p.trainMs, before, e.refined);
        before = p.trainMs;
      }
      if (reached(e)) return found(e.trainMs, before, e.refined);
      if (e.accuracy !== null) before = e.trainMs;
    }
  }
}

/**
 * The fast-worker iterations a round adds to the epoch count: the steps of
 * the worker with the largest budget (the fast one; of several, the most).
 * In a round a slow worker paced (one of fewer than FILL_MIN_STEPS steps
 * beside workers of more), all it took filling the round; otherwise at most
 * its budget, so a worker that filled the fast one's time with a few more
 * steps (it was faster that round) does not move the epoch count by chance.
 */
export function roundIterations(workers: readonly { tau: number; steps: number }[]): number {
  if (workers.length === 0) return 0;
  const top = Math.max(...workers.map((w) => w.tau));
  // No budgets recorded (a history from elsewhere): the most steps.
  if (!(top > 0)) return Math.max(0, ...workers.map((w) => w.steps));
  const steps = Math.max(0, ...workers.filter((w) => w.tau === top).map((w) => w.steps));
  // Parked workers (budget 0) take no part in the pacing.
  const slowPaced = fewStepPacers(workers.filter((w) => w.tau > 0).map((w) => w.tau)).some(Boolean);
  return slowPaced ? steps : Math.min(steps, top);
}

function finiteOr0(x: number): number {
  return Number.isFinite(x) ? x : 0;
}
