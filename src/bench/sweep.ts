/**
 * A hyperparameter sweep of `npm run bench`: every algorithm at every listed
 * value of one numeric config key (`--sweep learningRate=0.025,0.05,0.1`),
 * each algorithm then judged at its own best value, never at another's.
 * Pure: the flag's syntax and rules (args.ts supplies how one value is read
 * and checked, as its config flag would be), the run order, the grouping of
 * results by (algorithm, value) and the choice of the best value.
 * sweep-report.ts prints it.
 */
import type { Algo, RunConfig } from '../core/config';
import type { RunResult } from '../protocol';
import { quote } from '../core/errors';
import { BenchArgsError, balancedOrder, type BenchItem } from './arg-values';
import type { ConfigKey } from './args';
import { groupBy, median, present, type Group } from './stats';

/** The config keys whose value is a number (null: the flag's `none`): the only ones a sweep can set from a list. */
export type NumericKey = { [K in ConfigKey]: RunConfig[K] extends number | null ? K : never }[ConfigKey];

/** One value of the swept key as the config holds it; null is the flag's `none`. */
export type SweepValue = RunConfig[NumericKey];

/** What --sweep asks for. The result file keeps it, so a saved file can be reported again. */
export interface Sweep {
  key: NumericKey;
  /** Distinct, in the order given: the report's rows and its last tie-break follow it. */
  values: [SweepValue, SweepValue, ...SweepValue[]];
}

/** More values than this is a typo, not a sweep: each value costs one run per algorithm and seed. */
export const MAX_SWEEP_VALUES = 20;

const FLAG = '--sweep';
const EXAMPLE = 'learningRate=0.025,0.05,0.1,0.2';

/** Numeric keys a sweep refuses, and why: their "best" value would not mean what the report says it does. */
const NOT_SWEPT: Partial<Record<NumericKey, string>> = {
  seed: 'a seed is not a hyperparameter (the best seed is luck); give the seeds with --seeds or --repeat',
  targetAccuracy: 'the best value is the one that reaches the target soonest, so a swept target would always pick the lowest',
};

/** How args.ts reads the flag's parts: the same names and the same checks as the config flags. */
export interface SweepRules {
  /** Every numeric config key that has a flag. */
  keys: readonly NumericKey[];
  /** `learningRate` -> `learning-rate`: --sweep takes either spelling. */
  flagName(key: NumericKey): string;
  /** True when the key was given as its own flag too. */
  flagGiven(key: NumericKey): boolean;
  /**
   * One value as the key's flag reads it and validateConfig checks it (for
   * every algorithm of the run); throws a BenchArgsError saying what is allowed.
   */
  value(key: NumericKey, text: string): SweepValue;
}

/** `none` for null, else the number as typed back: `0.05`. */
export function formatSweepValue(value: SweepValue): string {
  return value === null ? 'none' : String(value);
}

/** The flag's form: `learningRate=0.025,0.05`. */
export function formatSweep(sweep: Sweep): string {
  return `${sweep.key}=${sweep.values.map(formatSweepValue).join(',')}`;
}

/** `--sweep KEY=V1,V2,...` -> the key and its distinct values; every error names the flag, the text and what is allowed. */
export function parseSweep(text: string, rules: SweepRules): Sweep {
  const sweepable = rules.keys.filter((key) => NOT_SWEPT[key] === undefined);
  const form = `KEY=V1,V2,... (e.g. ${EXAMPLE}) with KEY one of ${sweepable.join(', ')}`;
  const eq = text.indexOf('=');
  const name = eq < 0 ? '' : text.slice(0, eq).trim();
  const key = rules.keys.find((k) => k === name || rules.flagName(k) === name);
  if (key === undefined) throw new BenchArgsError(FLAG, text, form);
  const refused = NOT_SWEPT[key];
  if (refused !== undefined) {
    throw new BenchArgsError(FLAG, text, form, `Invalid ${FLAG}: ${quote(text)}: ${key} cannot be swept: ${refused}. Allowed: ${form}.`);
  }
  if (rules.flagGiven(key)) {
    const own = `--${rules.flagName(key)}`;
    throw new BenchArgsError(
      FLAG,
      text,
      'a key not also given as its own flag',
      `${FLAG} ${quote(text)} cannot be combined with ${own}: the sweep sets ${key} in every run. Give one of them.`,
    );
  }
  const list = `${key}=V1,V2,... with 2 to ${MAX_SWEEP_VALUES} distinct values`;
  const values: SweepValue[] = [];
  for (const part of text.slice(eq + 1).split(',')) {
    const item = part.trim();
    let value: SweepValue;
    try {
      value = rules.value(key, item);
    } catch (error) {
      if (!(error instanceof BenchArgsError)) throw error;
      throw new BenchArgsError(FLAG, text, error.allowed, `Invalid ${FLAG}: ${quote(text)}: ${quote(item)} is not a valid ${key}. Allowed: ${error.allowed}.`);
    }
    if (values.includes(value)) {
      throw new BenchArgsError(FLAG, text, list, `Invalid ${FLAG}: ${quote(text)}: ${key} ${formatSweepValue(value)} is listed twice. Allowed: ${list}.`);
    }
    values.push(value);
  }
  const [first, second, ...rest] = values;
  // One value is no comparison: the report would "choose" it for every algorithm.
  if (first === undefined || second === undefined || values.length > MAX_SWEEP_VALUES) throw new BenchArgsError(FLAG, text, list);
  return { key, values: [first, second, ...rest] };
}

/** One run of a sweep: an algorithm and a seed at one value of the swept key. */
export interface SweepItem extends BenchItem {
  value: SweepValue;
}

/**
 * Seed-major as benchItems, then value by value, every algorithm at a value
 * back to back: each seed covers every (algorithm, value) before the next
 * starts, so drift over a long session spreads over the seeds instead of
 * falling on the last value, and a Ctrl-C leaves whole seeds. The
 * algorithms' order changes from one (seed, value) to the next (balancedOrder).
 */
export function sweepItems(algos: readonly Algo[], seeds: readonly number[], values: readonly SweepValue[]): SweepItem[] {
  return seeds.flatMap((seed, s) =>
    values.flatMap((value, v) => balancedOrder(algos, s * values.length + v).map((algo) => ({ algo, seed, value }))),
  );
}

/** `config` with the swept key set to `value`. */
export function withSweepValue<C extends Partial<RunConfig>>(config: C, key: NumericKey, value: SweepValue): C {
  // TypeScript cannot tie a union key to its own value type; parseSweep read `value` with that key's flag.
  return { ...config, [key]: value } as C;
}

/** One (algorithm, value) cell of a sweep: its runs, one per seed that produced a result. */
export interface SweepGroup<R> {
  value: SweepValue;
  runs: Group<R>;
  /** Seeds whose run at this value failed without a result: they did not reach the target either. */
  failed: number;
}

/**
 * A failure as the result file records it (report.ts BenchFailure): tied to
 * a run by algorithm, seed and, with --sweep, value.
 */
export interface FailedRun {
  algo: Algo | null;
  seed: number | null;
  sweepValue?: SweepValue;
}

/** One algorithm of a sweep: its runs by value, and the value it is judged at. */
export interface AlgoSweep<R> {
  algo: Algo;
  /** In the order of the sweep's values; a value the list lacks (a hand-edited file) comes last. */
  groups: SweepGroup<R>[];
  /** Null when no run of the algorithm has a time to target or a final accuracy to judge by. */
  best: BestValue | null;
}

/** Which rule chose a best value: the time to target, or (no value reached it in every seed) the final accuracy. */
export type BestRule = 'time' | 'accuracy';

export interface BestValue {
  value: SweepValue;
  rule: BestRule;
}

/** The fields the choice reads, so tests can build just these. */
export type JudgedRun = Pick<RunResult, 'algo' | 'config' | 'timeToTargetMs' | 'finalAccuracy'>;

/**
 * Runs grouped by (algorithm, swept value), as each run's config recorded
 * the value, algorithms in run order. A failure counts against its cell only
 * when its seed left no result there: a run stopped early has a result, and
 * its time to target speaks for it. A run that never started (Ctrl-C) is
 * neither.
 */
export function groupSweep<R extends Pick<RunResult, 'algo' | 'config'>>(
  runs: readonly R[],
  sweep: Sweep,
  failures: readonly FailedRun[] = [],
): [Algo, SweepGroup<R>[]][] {
  const rank = (value: SweepValue): number => {
    const i = sweep.values.indexOf(value);
    return i < 0 ? sweep.values.length : i;
  };
  const failedSeeds = (algo: Algo, value: SweepValue, group: readonly R[]): number =>
    new Set(
      failures.flatMap((f) =>
        f.algo === algo && f.sweepValue === value && f.seed !== null && !group.some((r) => r.config.seed === f.seed) ? [f.seed] : [],
      ),
    ).size;
  return groupBy(runs, (r) => r.algo).map(([algo, own]): [Algo, SweepGroup<R>[]] => [
    algo,
    groupBy(own, (r) => r.config[sweep.key])
      .map(([value, group]) => ({ value, runs: group, failed: failedSeeds(algo, value, group) }))
      .sort((a, b) => rank(a.value) - rank(b.value)),
  ]);
}

interface Scored {
  value: SweepValue;
  /** Position in the groups given: the last tie-break. */
  order: number;
  accuracy: number | null;
}

/** Higher median final accuracy first (none last), then the value listed first. */
function byAccuracy(a: Scored, b: Scored): number {
  const x = a.accuracy ?? Number.NEGATIVE_INFINITY;
  const y = b.accuracy ?? Number.NEGATIVE_INFINITY;
  return x === y ? a.order - b.order : y - x;
}

/**
 * An algorithm's best value: the smallest median training-clock time to
 * target among the values with which every seed reached the target (a seed
 * whose run failed without a result did not); when no value did, the highest
 * median final accuracy. Ties go to the higher median final accuracy, then
 * to the value listed first. Null when no run has a time or an accuracy to
 * judge by.
 */
export function bestValue(groups: readonly SweepGroup<Pick<RunResult, 'timeToTargetMs' | 'finalAccuracy'>>[]): BestValue | null {
  const scored = groups.map((g, order) => {
    const times = present(g.runs.map((r) => r.timeToTargetMs));
    const accuracies = present(g.runs.map((r) => r.finalAccuracy));
    const everySeed = g.failed === 0 && times.length === g.runs.length;
    return { value: g.value, order, time: everySeed ? median(times) : null, accuracy: accuracies.length > 0 ? median(accuracies) : null };
  });
  const [fastest] = scored
    .flatMap((s) => (s.time === null ? [] : [{ ...s, time: s.time }]))
    .sort((a, b) => a.time - b.time || byAccuracy(a, b));
  if (fastest) return { value: fastest.value, rule: 'time' };
  const [mostAccurate] = scored.filter((s) => s.accuracy !== null).sort(byAccuracy);
  return mostAccurate ? { value: mostAccurate.value, rule: 'accuracy' } : null;
}

/** Every algorithm of a sweep, grouped and judged. */
export function judgeSweep<R extends JudgedRun>(runs: readonly R[], sweep: Sweep, failures: readonly FailedRun[] = []): AlgoSweep<R>[] {
  return groupSweep(runs, sweep, failures).map(([algo, groups]) => ({ algo, groups, best: bestValue(groups) }));
}

/** The runs at each algorithm's best value, algorithm by algorithm: all that the main tables and speed-ups compare. */
export function bestRuns<R>(judged: readonly AlgoSweep<R>[]): R[] {
  return judged.flatMap(({ groups, best }) => (best === null ? [] : (groups.find((g) => g.value === best.value)?.runs ?? [])));
}
