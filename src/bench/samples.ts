/**
 * Why one algorithm reaches the target sooner than another, in two factors:
 * how many samples its pool trains a second, and how many samples it
 * needed. Its time to target less profiling is the one over the other, so a
 * pool that trains 1.5x its best worker's samples a second reaches the
 * target in 0.67x the time (profiling aside) only if it needs no more
 * samples than that worker alone. Pure: report.ts prints it.
 */
import type { RunResult } from '../protocol';
import { formatSpread, median, present, type ValueFormat } from './stats';
import { poolRate, type RateRun } from './throughput-limit';

export type SampleRun = RateRun & Pick<RunResult, 'timeToTargetMs'>;

/** What the legend says the columns are. */
export const SAMPLES_DEFINITION =
  "samples/s = samples trained per second of rounds (the training clock less profiling); to target = the samples trained before the target, estimated at that average rate over the training clock at the target less profiling";

/**
 * Samples the run trained before it reached the target, estimated at its
 * average rate over all its rounds (close when it stopped at the target, as
 * by default); null when it missed the target, reached it while still
 * profiling, or has no rounds to rate.
 */
export function samplesToTarget(run: SampleRun): number | null {
  const rate = poolRate(run);
  if (rate === null || run.timeToTargetMs === null) return null;
  const roundsMs = run.timeToTargetMs - run.profileMs;
  return roundsMs > 0 ? (rate * roundsMs) / 1000 : null;
}

const RATE: ValueFormat = { full: (x) => x.toFixed(0), bare: (x) => x.toFixed(0) };
const KILO: ValueFormat = { full: (x) => `${(x / 1000).toFixed(1)}k`, bare: (x) => (x / 1000).toFixed(1) };

/** One algorithm's runs, each rated once: samples a second and samples to the target (null where a seed has none). */
interface Figures {
  rates: number[];
  samples: (number | null)[];
  /** The medians a row is compared by; `samples` only when every seed gave one (a missed seed would have needed more). */
  rate: number | null;
  toTarget: number | null;
}

function figuresOf(runs: readonly SampleRun[]): Figures {
  const rates = present(runs.map(poolRate));
  const samples = runs.map(samplesToTarget);
  const all = samples.length > 0 && samples.every((x) => x !== null);
  return { rates, samples, rate: rates.length > 0 ? median(rates) : null, toTarget: all ? median(present(samples)) : null };
}

/**
 * One row per algorithm: samples a second and samples to the target, each
 * median (min–max) over the seeds (`[k/n seeds]` when only k reached the
 * target), then, when `reference` names an algorithm of `groups`, each
 * median over the reference's (ratios of medians). A samples ratio needs
 * every seed of both at the target: `-` otherwise.
 */
export function samplesRows(groups: readonly (readonly [string, readonly SampleRun[]])[], reference: string | null): string[][] {
  const figures = groups.map(([name, runs]) => [name, figuresOf(runs)] as const);
  const base = figures.find(([name]) => name === reference)?.[1] ?? null;
  const ratio = (x: number | null, of: number | null): string => (x === null || of === null ? '-' : `${(x / of).toFixed(2)}x`);
  return figures.map(([name, own]) => {
    const samples = present(own.samples);
    const reached = samples.length < own.samples.length ? ` [${samples.length}/${own.samples.length} seeds]` : '';
    const row = [name, formatSpread(own.rates, RATE), formatSpread(samples, KILO) + reached];
    return base ? [...row, ratio(own.rate, base.rate), ratio(own.toTarget, base.toTarget)] : row;
  });
}
