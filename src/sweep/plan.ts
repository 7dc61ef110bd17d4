/**
 * A hyperparameter sweep as data: which config keys vary (a grid of listed
 * values, or ranges drawn at random), over which algorithms and seeds, and
 * the trials that expands to. Pure and deterministic: the same plan always
 * gives the same trials in the same order with the same ids, so a sweep can
 * be resumed, split across browsers and compared. The page's Sweep panel and
 * `npm run sweep` both build a SweepPlan; reading text into values is theirs
 * (each with its own field names), checking the plan's shape is here.
 */
import { ALGOS, type Algo, type RunConfig } from '../core/config';
import { formatConfigValue } from '../core/config-text';
import { createRng } from '../core/rng';

/** A config key a sweep may vary. */
export type SweepKey = Exclude<keyof RunConfig, NotSwept>;
/** Keys that have their own axis (algos, seeds) or whose "best" value would be meaningless. */
type NotSwept = 'algo' | 'seed' | 'targetAccuracy' | 'dataset';

/** Why a key cannot be swept, for the error that refuses it. */
export const NOT_SWEPT: Record<NotSwept, string> = {
  algo: 'algorithms are their own axis (the algorithms to run)',
  seed: 'seeds are their own axis (the seeds to run); the best seed would be luck',
  targetAccuracy: 'the time to a lower target is always shorter, so the best value would be the lowest',
  dataset: 'trials on different data are not comparable; sweep each dataset on its own',
};

/** One value of a swept key, as the config holds it (null: the key's `none`). */
export type AxisValue = RunConfig[SweepKey];

export interface GridAxis {
  key: SweepKey;
  /** At least two, distinct, in the order given: trials follow it. */
  values: AxisValue[];
}

export interface RandomAxis {
  key: SweepKey;
  lo: number;
  hi: number;
  /** log: uniform in log(value), for learning rates and other scale parameters. */
  scale: 'linear' | 'log';
  /** Draws are rounded to integers (tauFast, batchSize). */
  integer: boolean;
}

export interface SweepPlan {
  grid: GridAxis[];
  random: RandomAxis[];
  /** Random draws (with random axes; each is crossed with every grid point); 0 without. */
  trials: number;
  algos: Algo[];
  seeds: number[];
  /** The random draws' seed: the same plan draws the same values. */
  drawSeed: number;
}

/** The page's panel offers this many keys; the command line allows as many. */
export const MAX_SWEEP_KEYS = 3;
export const MAX_GRID_VALUES = 20;
export const MAX_RANDOM_TRIALS = 200;
/** Trials in one sweep, all axes multiplied: beyond this it is a typo, or a week. */
export const MAX_TRIALS = 2000;

/** A plan that cannot run; `field` is the flag or control that holds it. */
export class SweepPlanError extends Error {
  override readonly name = 'SweepPlanError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** The settings one trial applies over the base config. */
export type Settings = Partial<Record<SweepKey, AxisValue>>;

export interface Trial {
  /** Stable across runs of the same plan: `algo seed=1 tauFast=16 lambda=0.25`. Resume matches on it. */
  id: string;
  /** Position in the plan's order (seed-major: every setting of seed 1 first). */
  index: number;
  algo: Algo;
  seed: number;
  /** One per swept key, in the plan's key order (grid keys, then random keys). */
  settings: Settings;
  /** Which setting (grid point x random draw) this is, from 0: trials of one setting differ only by algo and seed. */
  setting: number;
}

/**
 * `0.05`, `none`, `wasm:2` for a worker pool, `1:4@10` for a slowdown,
 * `webgpu:128` for batch sizes: how a value is printed in ids, tables, files
 * and URLs, as its flag and URL parameter write it.
 */
export function formatAxisValue(key: SweepKey, value: AxisValue): string {
  return formatConfigValue(key, value as RunConfig[SweepKey], 'none');
}

/** `tauFast=16 lambda=0.25`. */
export function formatSettings(settings: Settings): string {
  return Object.entries(settings)
    .map(([key, value]) => `${key}=${formatAxisValue(key as SweepKey, value as AxisValue)}`)
    .join(' ');
}

function keysOf(plan: SweepPlan): SweepKey[] {
  return [...plan.grid.map((a) => a.key), ...plan.random.map((a) => a.key)];
}

/** Throws SweepPlanError naming the field when the plan's shape is wrong; values themselves are the caller's to check. */
export function checkPlan(plan: SweepPlan, maxKeys = Infinity): void {
  const keys = keysOf(plan);
  if (keys.length === 0) throw new SweepPlanError('keys', 'A sweep needs at least one key to vary (a grid of values or a random range).');
  if (keys.length > maxKeys) throw new SweepPlanError('keys', `A sweep varies at most ${maxKeys} keys; got ${keys.length} (${keys.join(', ')}).`);
  const seen = new Set<string>();
  for (const key of keys) {
    if (Object.hasOwn(NOT_SWEPT, key)) throw new SweepPlanError(key, `${key} cannot be swept: ${NOT_SWEPT[key as NotSwept]}.`);
    if (seen.has(key)) throw new SweepPlanError(key, `${key} is swept twice; give each key once.`);
    seen.add(key);
  }
  for (const axis of plan.grid) {
    if (axis.values.length < 2 || axis.values.length > MAX_GRID_VALUES) {
      throw new SweepPlanError(axis.key, `${axis.key} has ${axis.values.length} value(s); a grid key takes 2 to ${MAX_GRID_VALUES}.`);
    }
    const texts = axis.values.map((v) => formatAxisValue(axis.key, v));
    const twice = texts.find((t, i) => texts.indexOf(t) !== i);
    if (twice !== undefined) throw new SweepPlanError(axis.key, `${axis.key} lists ${twice} twice; give each value once.`);
  }
  for (const axis of plan.random) {
    const { key, lo, hi } = axis;
    if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(lo < hi)) {
      throw new SweepPlanError(key, `${key}'s range ${lo}:${hi} must have a lower bound below the upper one.`);
    }
    if (axis.scale === 'log' && lo <= 0) throw new SweepPlanError(key, `${key}'s log range ${lo}:${hi} must be above 0.`);
    if (axis.integer && Math.ceil(lo) > Math.floor(hi)) throw new SweepPlanError(key, `${key}'s range ${lo}:${hi} holds no integer.`);
  }
  if (plan.random.length > 0 && (!Number.isInteger(plan.trials) || plan.trials < 1 || plan.trials > MAX_RANDOM_TRIALS)) {
    throw new SweepPlanError('trials', `Random search takes a number of trials from 1 to ${MAX_RANDOM_TRIALS}; got ${plan.trials}.`);
  }
  if (plan.random.length === 0 && plan.trials !== 0) {
    throw new SweepPlanError('trials', 'A number of trials is for random ranges; a grid runs every combination of its values.');
  }
  if (plan.algos.length === 0 || plan.algos.some((a) => !(ALGOS as readonly string[]).includes(a))) {
    throw new SweepPlanError('algos', `The algorithms must be one or more of ${ALGOS.join(', ')}.`);
  }
  if (new Set(plan.algos).size !== plan.algos.length) throw new SweepPlanError('algos', 'Each algorithm once.');
  if (plan.seeds.length === 0 || new Set(plan.seeds).size !== plan.seeds.length) {
    throw new SweepPlanError('seeds', 'One or more distinct seeds.');
  }
  const total = trialCount(plan);
  if (total > MAX_TRIALS) {
    throw new SweepPlanError('keys', `The sweep has ${total} trials (settings x algorithms x seeds); at most ${MAX_TRIALS} run in one sweep.`);
  }
}

/** Settings: grid points x random draws. */
export function settingCount(plan: SweepPlan): number {
  const points = plan.grid.reduce((n, a) => n * a.values.length, 1);
  return points * Math.max(1, plan.random.length > 0 ? plan.trials : 1);
}

/** Settings x algorithms x seeds. */
export function trialCount(plan: SweepPlan): number {
  return settingCount(plan) * plan.algos.length * plan.seeds.length;
}

/** One draw of a random axis. */
function draw(axis: RandomAxis, u: number): number {
  const { lo, hi } = axis;
  const raw = axis.scale === 'log' ? Math.exp(Math.log(lo) + u * (Math.log(hi) - Math.log(lo))) : lo + u * (hi - lo);
  if (axis.integer) return Math.min(Math.floor(hi), Math.max(Math.ceil(lo), Math.round(raw)));
  // Four significant digits: a table of 0.0731942 and 0.0731943 helps nobody, and the value round-trips through CSV and URLs.
  return Number(raw.toPrecision(4));
}

/** Every setting in order: grid points (last key fastest), each crossed with the random draws. */
export function expandSettings(plan: SweepPlan): Settings[] {
  let points: Settings[] = [{}];
  for (const axis of plan.grid) points = points.flatMap((p) => axis.values.map((v) => ({ ...p, [axis.key]: v })));
  if (plan.random.length === 0) return points;
  // One stream per axis, so adding a grid key or a trial does not change earlier draws.
  const streams = plan.random.map((axis) => createRng(plan.drawSeed).fork(`sweep:${axis.key}`));
  const draws: Settings[] = [];
  for (let t = 0; t < plan.trials; t++) {
    const d: Settings = {};
    plan.random.forEach((axis, i) => {
      d[axis.key] = draw(axis, streams[i]?.next() ?? 0) as AxisValue;
    });
    draws.push(d);
  }
  return points.flatMap((p) => draws.map((d) => ({ ...p, ...d })));
}

/** `biased seed=1 tauFast=16 lambda=0.25` (prefixed by the draw for random trials, whose values may repeat). */
export function trialId(algo: Algo, seed: number, settings: Settings, draw: number | null): string {
  const head = draw === null ? '' : `draw ${draw + 1}: `;
  return `${head}${algo} seed=${seed} ${formatSettings(settings)}`;
}

/** Every trial of the plan, seed-major (a sweep stopped early has every setting at the first seeds). */
export function expandTrials(plan: SweepPlan): Trial[] {
  checkPlan(plan);
  const settings = expandSettings(plan);
  const draws = plan.random.length > 0 ? plan.trials : 0;
  const trials: Trial[] = [];
  for (const seed of plan.seeds) {
    settings.forEach((s, setting) => {
      for (const algo of plan.algos) {
        const id = trialId(algo, seed, s, draws > 0 ? setting % draws : null);
        trials.push({ id, index: trials.length, algo, seed, settings: s, setting });
      }
    });
  }
  return trials;
}

/** The run config of one trial: the base, then the trial's settings, algorithm and seed. */
export function trialConfig(base: Partial<RunConfig>, trial: Trial): Partial<RunConfig> & Pick<RunConfig, 'algo' | 'seed'> {
  // Each setting was checked for its own key (the caller's reader); the union type cannot say so per key.
  return { ...base, ...(trial.settings as Partial<RunConfig>), algo: trial.algo, seed: trial.seed };
}
