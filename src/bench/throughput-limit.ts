/**
 * How close an algorithm comes to the most that beating sync's barrier can
 * give. sync makes every worker wait for the slowest at every step; its
 * throughput limit is what its pool would train if nobody waited (each
 * worker's free rate: its samples over its busy time, under the run's own
 * contention) over what sync actually trained per second of rounds. An
 * algorithm that removes the wait and learns as much per sample reaches the
 * target that many times sooner. Pure: report.ts prints it.
 */
import type { RunResult, WorkerSummary } from '../protocol';
import { pairBySeed, TIMES } from './run-summary';
import { formatSpread, type ValueFormat } from './stats';

export type RateRun = Pick<RunResult, 'trainMs' | 'profileMs'> & { workers: readonly Pick<WorkerSummary, 'samples' | 'busyMs' | 'idleMs'>[] };
export type LimitRun = RateRun & Pick<RunResult, 'timeToTargetMs'> & { config: Pick<RunResult['config'], 'seed'> };

/** What the limit is, for the line above a table or a list of notes. */
export const LIMIT_DEFINITION =
  "the sum of each sync worker's samples over its busy time (weighted by its time in the pool), over sync's samples per second of rounds: the speed-up removing its wait could give";

/** Samples trained per second of rounds (the training clock less profiling); null for a run without rounds. */
export function poolRate(run: RateRun): number | null {
  const roundsMs = run.trainMs - run.profileMs;
  const samples = run.workers.reduce((n, w) => n + w.samples, 0);
  return roundsMs > 0 && samples > 0 ? (samples / roundsMs) * 1000 : null;
}

/**
 * The pool's samples per second had no worker waited: the sum of each
 * training worker's samples over its busy time, each weighted by the share of
 * the run it was in the pool (its busy and idle time over the longest any
 * worker was in it), so a worker that left halfway adds half its rate, not
 * all of it.
 */
export function freeRate(run: RateRun): number | null {
  const training = run.workers.filter((w) => w.samples > 0 && w.busyMs > 0);
  const longest = Math.max(0, ...training.map((w) => w.busyMs + w.idleMs));
  // No training worker leaves the longest at 0; NaN times fail the test too.
  if (!(longest > 0)) return null;
  return training.reduce((r, w) => r + (w.samples / w.busyMs) * 1000 * ((w.busyMs + w.idleMs) / longest), 0);
}

/** One seed's algorithm against sync's run of the same seed. */
export interface LimitPair {
  seed: number;
  /** sync's free rate over its pool rate: the speed-up that removing its wait could give. */
  limit: number;
  /** sync's time to target over the algorithm's (training clock). */
  speedup: number;
  /** speedup / limit: 1 = the whole limit. */
  share: number;
  /** The algorithm's pool rate over sync's: how many more samples per second it trained. */
  rate: number;
}

/**
 * Pairs each algorithm run with sync's of the same seed. Null when a seed
 * lacks a run of either, either missed the target or a rate is unknown: a
 * share is honest only when every seed gives one.
 */
export function limitPairs(runs: readonly LimitRun[], sync: readonly LimitRun[]): LimitPair[] | null {
  const seeds = pairBySeed(runs, sync);
  if (seeds === null) return null;
  const pairs: LimitPair[] = [];
  for (const [run, base] of seeds) {
    if (run.timeToTargetMs === null || base.timeToTargetMs === null || run.timeToTargetMs <= 0) return null;
    const syncRate = poolRate(base);
    const free = freeRate(base);
    const own = poolRate(run);
    if (syncRate === null || free === null || own === null) return null;
    const limit = free / syncRate;
    const speedup = base.timeToTargetMs / run.timeToTargetMs;
    pairs.push({ seed: run.config.seed, limit, speedup, share: speedup / limit, rate: own / syncRate });
  }
  return pairs.length > 0 ? pairs : null;
}

const FRACTION: ValueFormat = { full: (x) => x.toFixed(2), bare: (x) => x.toFixed(2) };

/** The cells of one algorithm's row: limit, speed-up, share of the limit, samples per second against sync's. */
export function limitCells(pairs: readonly LimitPair[]): [string, string, string, string] {
  const cell = (pick: (p: LimitPair) => number, format: ValueFormat): string => formatSpread(pairs.map(pick), format);
  return [cell((p) => p.limit, TIMES), cell((p) => p.speedup, TIMES), cell((p) => p.share, FRACTION), cell((p) => p.rate, TIMES)];
}

/**
 * A sentence for a Markdown note: `biased: reached the target 4.67x (4.10–5.00)
 * as fast as sync, against sync's throughput limit of 30.10x (...): 0.16 (...)
 * of it; it trained 3.10x (...) sync's samples per second of rounds.`
 */
export function limitSentence(name: string, pairs: readonly LimitPair[]): string {
  const [limit, speedup, share, rate] = limitCells(pairs);
  return `${name}: reached the target ${speedup} as fast as sync, against sync's throughput limit of ${limit}: ${share} of it; it trained ${rate} sync's samples per second of rounds.`;
}
