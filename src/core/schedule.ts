/**
 * Per-worker step budgets (tau_i) from measured step times, their adaptive
 * update, and the shard reassignment period. The README's "How it works" gives the terms.
 */

/**
 * Weight of a new step-time measurement in the running estimate. 0.7 follows
 * a sustained slowdown to 70% of its size after one round and 91% after two,
 * while one noisy round moves tau by less than its full deviation.
 */
export const ADAPTIVE_SMOOTHING = 0.7;

/**
 * Fewest steps a worker must have to fill a round by time; one with fewer
 * paces it. A filler checks the round's end before each step, so it may
 * finish one step after the pacers: at most an eighth of the round.
 */
export const FILL_MIN_STEPS = 8;

/**
 * Workers of fewer than FILL_MIN_STEPS steps beside workers of more: those
 * whose few steps pace a round filled by time. None when every worker has
 * that few (nobody could fill).
 */
export function fewStepPacers(tau: readonly number[]): boolean[] {
  const few = tau.map((t) => t < FILL_MIN_STEPS);
  return few.every(Boolean) ? few.map(() => false) : few;
}

export interface Budgets {
  /** The worker with the smallest step time (first one on a tie). */
  fastIndex: number;
  /** t_fast / t_i, in (0, 1]; 1 for the fast worker. */
  gamma: number[];
  /** Local steps per round. */
  tau: number[];
  /** The fast worker's steps per round: tauFast, or more when `fill` sizes the round to a slower worker's one step. */
  tauFast: number;
  /**
   * Per worker, under `fill` (unbalanced steps): its steps set the round's
   * length, and the others fill it by time, stepping until every pacer is
   * done. The pacers are the workers with few steps (fewer than
   * FILL_MIN_STEPS) beside workers with more; when there are none, the fast
   * worker with its tauFast steps. All false without fill, for one worker, or
   * when no worker has that many steps.
   */
  paces: boolean[];
  /**
   * The steps a worker takes before a pacer's end may close its round. Beside
   * slow pacers: its budget had fill not stretched the round, so a round
   * filled by time never gives the fast worker fewer than tauFast. Beside the
   * fast worker: 1, so the fast worker never waits for a count.
   */
  floor: number[];
}

/**
 * The fastest worker: the smallest step time, the first one on a tie. The
 * one definition of "fast" that budgets, bias roles, fast-only and
 * evaluation all use.
 */
export function fastestIndex(stepMs: readonly number[]): number {
  if (stepMs.length === 0) {
    throw new Error('Invalid stepMs: []. Should hold one step time per worker, at least one.');
  }
  let fast = 0;
  stepMs.forEach((t, i) => {
    if (t < (stepMs[fast] as number)) fast = i;
  });
  return fast;
}

/**
 * tau_i = max(1, round(gamma_i * tauFast)), so every worker spends about
 * tauFast * t_fast per round. With `unbalanced` off every worker does tauFast
 * (plain local SGD); gamma is still reported.
 *
 * A worker whose one step outlasts that round (t_i > tauFast * t_fast) would
 * make the others wait for it. With `fill` the round is sized to the slowest
 * step instead: the fast worker's budget becomes round(t_slowest / t_fast)
 * (never below tauFast) and every budget scales with it,
 * so the others fill the slow step's time with steps of their own.
 */
export function computeBudgets(
  stepMs: readonly number[],
  tauFast: number,
  opts: { unbalanced: boolean; fill?: boolean },
): Budgets {
  if (stepMs.length === 0) {
    throw new Error('Invalid stepMs: []. Should hold one step time per worker, at least one.');
  }
  stepMs.forEach((t, i) => assertPositive(`stepMs[${i}]`, t));
  if (!Number.isInteger(tauFast) || tauFast < 1) {
    throw new Error(`Invalid tauFast: ${tauFast}. Should be an integer >= 1.`);
  }
  const fastIndex = fastestIndex(stepMs);
  const tFast = stepMs[fastIndex] as number;
  const gamma = stepMs.map((t) => tFast / t);
  const slowest = Math.max(...stepMs);
  const filled = opts.unbalanced && opts.fill === true ? Math.max(tauFast, Math.round(slowest / tFast)) : tauFast;
  const budget = (g: number, steps: number): number => (opts.unbalanced ? Math.max(1, Math.round(g * steps)) : steps);
  const tau = gamma.map((g) => budget(g, filled));
  const byTime = opts.fill === true && opts.unbalanced;
  const paces = fewStepPacers(tau).map((p) => byTime && p);
  const floor = gamma.map((g) => budget(g, tauFast));
  if (byTime && stepMs.length > 1 && tau.every((t) => t >= FILL_MIN_STEPS)) {
    // No step outlasts the round: the fast worker's tauFast steps are the round, and the others fill its
    // time. A step time moves by a third from round to round here, so counts estimated from the last
    // rounds left a worker idle a tenth of each one; by time, nobody waits more than one step.
    paces[fastIndex] = true;
    tau.forEach((_, i) => {
      if (i !== fastIndex) floor[i] = 1;
    });
  }
  return { fastIndex, gamma, tau, tauFast: filled, paces, floor };
}

/**
 * Exponentially smoothed step time: smoothing * measured + (1 - smoothing) * previous.
 * smoothing = 1 takes the measurement as is; 0 keeps the old estimate (the
 * paper's fixed gamma).
 */
export function updateStepEstimate(previousMs: number, measuredMs: number, smoothing: number): number {
  assertPositive('previousMs', previousMs);
  assertPositive('measuredMs', measuredMs);
  if (!(smoothing >= 0 && smoothing <= 1)) {
    throw new Error(`Invalid smoothing: ${smoothing}. Should be a number in [0, 1].`);
  }
  return smoothing * measuredMs + (1 - smoothing) * previousMs;
}

/**
 * Rounds between shard rebuilds: about one pass over the N training samples
 * by all workers together, floor(N / (B * sum tau_i)), at least 1.
 */
export function roundsPerPeriod(n: number, batchSize: number, taus: readonly number[]): number {
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`Invalid n: ${n}. Should be an integer >= 1.`);
  }
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`Invalid batchSize: ${batchSize}. Should be an integer >= 1.`);
  }
  if (taus.length === 0) {
    throw new Error('Invalid taus: []. Should hold one step budget per worker, at least one.');
  }
  let sum = 0;
  taus.forEach((tau, i) => {
    if (!Number.isInteger(tau) || tau < 1) {
      throw new Error(`Invalid taus[${i}]: ${tau}. Should be an integer >= 1.`);
    }
    sum += tau;
  });
  return Math.max(1, Math.floor(n / (batchSize * sum)));
}

/** Median of a non-empty list of finite numbers (mean of the middle two for even lengths). */
export function median(values: readonly number[]): number {
  if (values.length === 0) {
    throw new Error('Invalid values: []. median needs at least one number.');
  }
  values.forEach((v, i) => {
    if (!Number.isFinite(v)) throw new Error(`Invalid values[${i}]: ${v}. Should be a finite number.`);
  });
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function assertPositive(what: string, value: number): void {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new Error(`Invalid ${what}: ${value}. Should be a finite number > 0 (milliseconds).`);
  }
}
