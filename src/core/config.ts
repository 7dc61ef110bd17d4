/**
 * A run's configuration: its shape, its defaults and the one validator that
 * the page, the automation API (`window.tandem`), URL parameters and the
 * benchmark's flags all go through. Keys are the camelCase forms of the
 * benchmark's flags (`--tau-fast` <-> `tauFast`).
 */

import { boolean, ConfigError, integer, integerValued, nullable, oneOf, real, type Check } from './config-checks';
import { checkModelFitsData, checkSlowdownWorkers } from './config-rules';
import { DATASET_SPEC_HELP, parseDatasetSpec } from './dataset-spec';
import { batchSizes, MAX_WORKERS, workers, type BatchSizes, type WorkerSpec } from './pool-spec';

// One import path for what a config is made of.
export { ConfigError } from './config-checks';
export { checkSlowdownWorkers, formatSlowdown, IMAGE_MODELS, isTextDataset } from './config-rules';
export {
  BACKEND_FALLBACK,
  BACKENDS,
  MAX_WORKERS,
  batchSizeOf,
  formatBatchSizes,
  formatWorkerSpec,
  parseWorkerSpec,
  resolveWorkers,
  type BackendName,
  type BatchSizes,
  type WorkerGroup,
  type WorkerSpec,
} from './pool-spec';

export type Algo = 'biased' | 'local' | 'sync' | 'fast-only';
export type ModelName = 'mlp' | 'cnn' | 'resnet20' | 'transformer';
/** `auto`: on for colour images (CIFAR-10: random crop with 4-pixel padding, flip), off for grey ones. */
export type AugmentationMode = 'auto' | 'on' | 'off';
export type AggregationMode = 'steps' | 'samples' | 'uniform';
export type BiasDirection = 'slow' | 'fast';
/**
 * Where the biased workers' candidate pool comes from: `seen`, samples with a
 * recorded loss (unseen ones only when too few are seen), so the bias engages
 * after the first round; `all`, uniform over the training set with unseen
 * samples ranked first (the authors' rule).
 */
export type BiasPool = 'seen' | 'all';
/**
 * A worker whose one step outlasts the round the others fill (t_i > tauFast *
 * t_fast): `wait`, the round waits for its step; `fill`, the round is sized
 * to the slowest step and the others step until it is done (under fixed
 * budgets they take the steps their fixed gamma gives, as with `fill-steps`);
 * `fill-steps`, the others take the steps their estimated step times fit
 * into it.
 */
export type SlowWorkerPolicy = 'wait' | 'fill' | 'fill-steps';
/** `auto`: measure the pool with and without each worker and park those that slow it; `off`: train on every worker. */
export type ParkingPolicy = 'auto' | 'off';
/** How the learning rate grows with the number of averaged workers K: none, x K, x sqrt(K). */
export type LrScaling = 'none' | 'linear' | 'sqrt';
/** What happens when a worker's backend cannot start: stop, or try the next one in BACKEND_FALLBACK. */
export type FallbackPolicy = 'fallback' | 'refuse';

export const ALGOS: readonly Algo[] = ['biased', 'local', 'sync', 'fast-only'];
export const MODELS: readonly ModelName[] = ['mlp', 'cnn', 'resnet20', 'transformer'];
export const AUGMENTATION_MODES: readonly AugmentationMode[] = ['auto', 'on', 'off'];
export const AGGREGATION_MODES: readonly AggregationMode[] = ['steps', 'samples', 'uniform'];
export const BIAS_DIRECTIONS: readonly BiasDirection[] = ['slow', 'fast'];
export const FALLBACK_POLICIES: readonly FallbackPolicy[] = ['fallback', 'refuse'];
export const BIAS_POOLS: readonly BiasPool[] = ['seen', 'all'];
export const SLOW_WORKER_POLICIES: readonly SlowWorkerPolicy[] = ['wait', 'fill', 'fill-steps'];
export const PARKING_POLICIES: readonly ParkingPolicy[] = ['auto', 'off'];
export const LR_SCALINGS: readonly LrScaling[] = ['none', 'linear', 'sqrt'];

/**
 * Heterogeneity emulation: from round `fromRound` on, worker `worker` waits
 * after each step so that the step takes `factor` times as long as measured.
 */
export interface SlowdownRule {
  worker: number;
  factor: number;
  fromRound: number;
}

export interface RunConfig {
  algo: Algo;
  /** `fashion-mnist`, `mnist`, `cifar10[:LOCATION]` or `idx:LOCATION`. */
  dataset: string;
  model: ModelName;
  /** Text datasets: the characters a sample's window gives the model; it predicts the next one at each. */
  contextLength: number;
  /** Transformer: blocks, width, attention heads (dividing dModel), MLP width. */
  layers: number;
  dModel: number;
  heads: number;
  mlpWidth: number;
  augmentation: AugmentationMode;
  /** Worker pool, in start order; flag form `webgpu:1,wasm:2`, or `auto`. A run's own config holds the pool it started. */
  workers: WorkerSpec;
  /** Local steps of the fastest worker per round. */
  tauFast: number;
  /** High-loss ratio: the biased workers' pool is quota / lambda; 1 = no bias. */
  lambda: number;
  /** Which workers get the high-loss samples. */
  biasDirection: BiasDirection;
  /** Rounds between shard rebuilds; 0 = the authors' period, about one pass over the data (floor(N / (B * sum tau_i))). */
  resampleEvery: number;
  biasPool: BiasPool;
  aggregation: AggregationMode;
  slowWorkers: SlowWorkerPolicy;
  parking: ParkingPolicy;
  /** Under adaptive budgets, re-check the parking decision every this many rounds (also whenever the roster changes); 0 = only then. */
  poolCheckEvery: number;
  /** Ablation switches for `biased`; ignored by the other algorithms. */
  unbalancedSteps: boolean;
  biasedSampling: boolean;
  weightedAggregation: boolean;
  /** Re-measure step times every round and update tau_i (off = the paper's fixed gamma). */
  adaptiveBudgets: boolean;
  batchSize: number;
  /**
   * Per-backend batch sizes overriding batchSize (a GPU at batch 32 is
   * dispatch-bound); each worker is profiled and trains at its own.
   */
  batchSizeByBackend: BatchSizes;
  learningRate: number;
  momentum: number;
  weightDecay: number;
  /** Epochs (floor(N / (B * K * tauFast)) rounds of tauFast fast-worker steps each, counted in steps) at which the learning rate is multiplied by lrDecayFactor. */
  lrDecayEpochs: number[];
  lrDecayFactor: number;
  /** Learning rate for K averaged workers (biased, local, sync): learningRate, x K or x sqrt(K). */
  lrScaling: LrScaling;
  /** Rounds over which a scaled learning rate ramps up linearly from learningRate. */
  lrWarmupRounds: number;
  /** Stop after this many epochs; null = no epoch limit. */
  epochs: number | null;
  /** Emulated slow workers (flag form `1:8` or `2:4@10`: worker:factor[@fromRound]). */
  slowdown: SlowdownRule[];
  /** Stop once test accuracy reaches this (0..1); null = run to the time/round limit. */
  targetAccuracy: number | null;
  /** Stop when the target is reached (false: record the time to target and go on, e.g. for equal-epoch comparisons). */
  stopAtTarget: boolean;
  /** Wall-clock limit of the training clock, seconds. */
  maxSeconds: number;
  /** Round limit; null = none. */
  maxRounds: number | null;
  /**
   * Evaluate the global model every this many rounds. null (the default):
   * every round while no target is pending; while one is, only when the
   * time cadence (evalEverySeconds, targetResolution) asks, since rounds of
   * a few hundred ms each evaluated would spend a third of the wall clock
   * evaluating.
   */
  evalEvery: number | null;
  /**
   * Also evaluate once the training clock has run this many seconds since
   * the last evaluation (sync: between steps, since its workers share one
   * model), so long rounds do not blur the time to target; 0 = off.
   */
  evalEverySeconds: number;
  /**
   * While a target is set and not yet reached, also evaluate once the
   * training clock has grown by this fraction since the last evaluation (at
   * least 0.25 s later; local-SGD rounds pause their workers at a step for
   * it), so the time to target lies within this fraction of its value; 0 = off.
   */
  targetResolution: number;
  /**
   * How close (in accuracy, 0.02 = two points) the last evaluation must be
   * to the target for targetResolution to apply; further below it the
   * cadence is FAR_RESOLUTION_FACTOR times coarser, since a crossing is not
   * near and each evaluation costs the user time. A jump over the whole
   * window between two coarse evaluations is narrowed afterwards when
   * targetRefine is on, and otherwise widens the reported interval (it is
   * always reported). 1 = always the fine cadence.
   */
  targetWindow: number;
  /**
   * Narrow a crossing afterwards: the round-end models since the last
   * evaluation are kept (copies of theta_bar), and when the whole test set
   * confirms a crossing whose interval is wider than targetResolution (0:
   * any), the ones inside it are evaluated by bisection. With it the coarse
   * cadence far from the target costs no resolution.
   */
  targetRefine: boolean;
  /**
   * The most of the time evaluation may take: the next evaluation (at a
   * round's end or inside one) waits until the training clock since the last
   * one is its cost x (1 - share) / share; 0 = no cap. Short rounds would
   * otherwise spend more time evaluating than training.
   */
  maxEvalShare: number;
  /** Test samples per evaluation (the first ones of the fixed test split). */
  evalSamples: number;
  /** Timed steps per worker when profiling (after warm-up). */
  profileSteps: number;
  /** Untimed steps per worker before profiling (shader compilation, JIT). */
  warmupSteps: number;
  seed: number;
  fallback: FallbackPolicy;
  /** Save a checkpoint every this many rounds (and at pause and stop); 0 = only at pause and stop. */
  checkpointEvery: number;
  /** Saves of this run kept in the browser: a new one deletes the run's oldest beyond this many (never another run's). */
  keepSaves: number;
  /** The run stops as diverged when the round loss exceeds this multiple of the best loss so far (or is not finite). */
  divergenceFactor: number;
}

export const TRAIN_SIZE = 60_000;
export const TEST_SIZE = 10_000;

export const DEFAULT_CONFIG: Readonly<RunConfig> = Object.freeze({
  algo: 'biased',
  dataset: 'fashion-mnist',
  model: 'cnn',
  contextLength: 64,
  layers: 2,
  dModel: 64,
  heads: 4,
  mlpWidth: 256,
  augmentation: 'auto',
  workers: 'auto',
  tauFast: 32,
  lambda: 0.25,
  biasDirection: 'slow',
  resampleEvery: 1,
  biasPool: 'seen',
  aggregation: 'steps',
  slowWorkers: 'fill',
  parking: 'auto',
  poolCheckEvery: 20,
  unbalancedSteps: true,
  biasedSampling: true,
  weightedAggregation: true,
  adaptiveBudgets: true,
  batchSize: 32,
  batchSizeByBackend: {},
  learningRate: 0.05,
  momentum: 0.9,
  weightDecay: 1e-4,
  lrDecayEpochs: [],
  lrDecayFactor: 0.1,
  lrScaling: 'none',
  lrWarmupRounds: 5,
  epochs: null,
  slowdown: [],
  targetAccuracy: null,
  stopAtTarget: true,
  maxSeconds: 300,
  maxRounds: null,
  evalEvery: null,
  evalEverySeconds: 5,
  targetResolution: 0.1,
  targetWindow: 0.02,
  targetRefine: true,
  maxEvalShare: 0,
  evalSamples: 2000,
  profileSteps: 5,
  warmupSteps: 2,
  seed: 1,
  fallback: 'fallback',
  checkpointEvery: 10,
  keepSaves: 3,
  divergenceFactor: 10,
} satisfies RunConfig);

const dataset: Check<string> = (key, value) => {
  if (typeof value === 'string' && parseDatasetSpec(value)) return value.trim();
  throw new ConfigError(key, value, DATASET_SPEC_HELP);
};

/** Accepts [60, 80], "60,80", or "" / "none" for no decay. */
const epochList: Check<number[]> = (key, value) => {
  const allowed = 'a list of positive epoch numbers like "60,80", or none';
  const list =
    typeof value === 'string'
      ? value.trim() === '' || value.trim() === 'none'
        ? []
        : value.split(',').map((part) => (/^\s*\d+(\.\d+)?\s*$/.test(part) ? Number(part) : Number.NaN))
      : value;
  if (!Array.isArray(list) || list.length > 100) throw new ConfigError(key, value, allowed);
  for (const epoch of list) {
    if (typeof epoch !== 'number' || !Number.isFinite(epoch) || epoch <= 0) throw new ConfigError(key, value, allowed);
  }
  return [...(list as number[])].sort((a, b) => a - b);
};

/** Accepts [{worker, factor, fromRound}], or "1:8,2:4@10" (fromRound defaults to 1), or "" / "none". */
const slowdown: Check<SlowdownRule[]> = (key, value) => {
  const allowed = `rules worker:factor[@fromRound] like "1:8" or "2:4@10" (worker 0..${MAX_WORKERS - 1}, factor 1..1000), or none`;
  let rules: unknown = value;
  if (typeof value === 'string') {
    const text = value.trim();
    rules =
      text === '' || text === 'none'
        ? []
        : text.split(',').map((part) => {
            const m = /^\s*(\d+)\s*:\s*(\d+(?:\.\d+)?)\s*(?:@\s*(\d+))?\s*$/.exec(part);
            if (!m) throw new ConfigError(key, value, allowed);
            return { worker: Number(m[1]), factor: Number(m[2]), fromRound: m[3] === undefined ? 1 : Number(m[3]) };
          });
  }
  if (!Array.isArray(rules)) throw new ConfigError(key, value, allowed);
  return rules.map((rule: unknown) => {
    const r = (typeof rule === 'object' && rule !== null ? rule : {}) as Record<string, unknown>;
    const ok =
      Number.isInteger(r['worker']) && (r['worker'] as number) >= 0 && (r['worker'] as number) < MAX_WORKERS &&
      typeof r['factor'] === 'number' && Number.isFinite(r['factor']) && r['factor'] >= 1 && r['factor'] <= 1000 &&
      (r['fromRound'] === undefined || (Number.isInteger(r['fromRound']) && (r['fromRound'] as number) >= 1));
    if (!ok) throw new ConfigError(key, value, allowed);
    return { worker: r['worker'] as number, factor: r['factor'] as number, fromRound: (r['fromRound'] as number | undefined) ?? 1 };
  });
};

const CHECKS: { [K in keyof RunConfig]: Check<RunConfig[K]> } = {
  algo: oneOf(ALGOS),
  dataset,
  model: oneOf(MODELS),
  contextLength: integer(8, 512),
  layers: integer(1, 12),
  dModel: integer(8, 512),
  heads: integer(1, 16),
  mlpWidth: integer(8, 4096),
  augmentation: oneOf(AUGMENTATION_MODES),
  workers,
  tauFast: integer(1, 4096),
  lambda: real(0, 1, false),
  biasDirection: oneOf(BIAS_DIRECTIONS),
  resampleEvery: integer(0, 1_000_000),
  biasPool: oneOf(BIAS_POOLS),
  aggregation: oneOf(AGGREGATION_MODES),
  slowWorkers: oneOf(SLOW_WORKER_POLICIES),
  parking: oneOf(PARKING_POLICIES),
  poolCheckEvery: integer(0, 1_000_000),
  unbalancedSteps: boolean,
  biasedSampling: boolean,
  weightedAggregation: boolean,
  adaptiveBudgets: boolean,
  batchSize: integer(1, 4096),
  batchSizeByBackend: batchSizes,
  learningRate: real(0, 10, false),
  momentum: real(0, 0.999, true),
  weightDecay: real(0, 1, true),
  lrDecayEpochs: epochList,
  lrDecayFactor: real(0, 1, false),
  lrScaling: oneOf(LR_SCALINGS),
  lrWarmupRounds: integer(0, 100_000),
  epochs: nullable(real(0, 100_000, false), 'a positive number of epochs'),
  slowdown,
  stopAtTarget: boolean,
  targetAccuracy: nullable(real(0, 1, false), 'a number in (0, 1]'),
  maxSeconds: real(0, 86_400, false),
  maxRounds: nullable(integer(1, 1_000_000), 'an integer from 1 to 1000000'),
  evalEvery: nullable(integer(1, 10_000), 'an integer from 1 to 10000'),
  evalEverySeconds: real(0, 86_400, true),
  targetResolution: real(0, 1, true),
  targetWindow: real(0, 1, true),
  targetRefine: boolean,
  maxEvalShare: real(0, 0.99, true),
  evalSamples: integer(1, TEST_SIZE),
  profileSteps: integer(1, 100),
  warmupSteps: integer(0, 100),
  seed: integer(0, 2 ** 32 - 1),
  fallback: oneOf(FALLBACK_POLICIES),
  checkpointEvery: integer(0, 1_000_000),
  keepSaves: integer(1, 100),
  divergenceFactor: real(1, 1e9, false),
};

export const CONFIG_KEYS = Object.keys(CHECKS) as (keyof RunConfig)[];

/** True when the key takes whole numbers only (tauFast, batchSize): a random sweep rounds its draws. */
export function isIntegerKey(key: keyof RunConfig): boolean {
  return integerValued(CHECKS[key]);
}

/**
 * Validates a partial config (from a script, a form or parsed flags) and fills
 * the rest from `base`. Unknown keys are errors too: a typo must not silently
 * run the default.
 */
export function validateConfig(input: unknown, base: Readonly<RunConfig> = DEFAULT_CONFIG): RunConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ConfigError('config', input, 'an object with keys ' + CONFIG_KEYS.join(', '));
  }
  const record = input as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!(CONFIG_KEYS as string[]).includes(key)) {
      throw new ConfigError(key, record[key], `a known key (${CONFIG_KEYS.join(', ')})`);
    }
  }
  const out = {
    ...base,
    workers: base.workers === 'auto' ? 'auto' : base.workers.map((g) => ({ ...g })),
    batchSizeByBackend: { ...base.batchSizeByBackend },
  } as RunConfig;
  for (const key of CONFIG_KEYS) {
    if (record[key] === undefined) continue;
    (out as unknown as Record<string, unknown>)[key] = CHECKS[key](key, record[key]);
  }
  // Across keys: a slowdown rule names a worker of an explicit pool (an auto pool is checked by the engine once resolved).
  checkSlowdownWorkers(out, workerCount(out));
  checkModelFitsData(out);
  return out;
}

/** Workers an explicit pool starts; null for `auto` (known once the browser is asked). */
export function workerCount(config: Pick<RunConfig, 'workers'>): number | null {
  return config.workers === 'auto' ? null : config.workers.reduce((n, g) => n + g.count, 0);
}

/** What an algorithm turns its config into: the mechanisms actually in force. */
export interface Mechanisms {
  unbalancedSteps: boolean;
  biasedSampling: boolean;
  aggregation: AggregationMode;
  /** Per-step gradient averaging instead of local rounds. */
  synchronous: boolean;
  /** Train on the measured fastest worker only. */
  fastOnly: boolean;
}

export function mechanismsOf(config: RunConfig): Mechanisms {
  switch (config.algo) {
    case 'biased':
      return {
        unbalancedSteps: config.unbalancedSteps,
        biasedSampling: config.biasedSampling && config.lambda < 1,
        aggregation: config.weightedAggregation ? config.aggregation : 'uniform',
        synchronous: false,
        fastOnly: false,
      };
    case 'local':
      return { unbalancedSteps: false, biasedSampling: false, aggregation: 'uniform', synchronous: false, fastOnly: false };
    case 'sync':
      return { unbalancedSteps: false, biasedSampling: false, aggregation: 'uniform', synchronous: true, fastOnly: false };
    case 'fast-only':
      return { unbalancedSteps: false, biasedSampling: false, aggregation: 'uniform', synchronous: false, fastOnly: true };
    default: {
      const never: never = config.algo;
      throw new ConfigError('algo', never, `one of ${ALGOS.join(', ')}`);
    }
  }
}
