/**
 * The paper's comparisons as data: each experiment is a list of labelled
 * config variants run one after the other on the same base config. Pure, so
 * the suite's shape is unit-tested without a browser.
 */
import { ALGOS, ConfigError, workerCount, type RunConfig } from '../core/config';

export type ExperimentName = 'compare' | 'ablation' | 'heterogeneity' | 'lambda' | 'direction' | 'adaptive';
export const EXPERIMENT_NAMES: readonly ExperimentName[] = ['compare', 'ablation', 'heterogeneity', 'lambda', 'direction', 'adaptive'];

export interface Variant {
  label: string;
  config: Partial<RunConfig>;
  /**
   * The tau the setup means `worker` to get (heterogeneity: tau_S). What the
   * measured speeds gave can differ; the report puts the tau that ran beside it.
   */
  intendedTau?: { worker: number; tau: number };
}

export interface Experiment {
  name: ExperimentName;
  title: string;
  /** What the experiment shows and how it is set up (goes into the report). */
  description: string;
  variants: Variant[];
}

export interface SuiteSettings {
  /** Epochs every run of `compare` gets (equal epochs). */
  epochs: number;
  /** Rounds of the `adaptive` experiment; the slowdown starts halfway. */
  rounds: number;
  /** Slowdown factor of the `adaptive` experiment's slowed worker. */
  slowdownFactor: number;
  /** Training-clock cap per run of `compare`, seconds; null = compareTimeCap(epochs) (the suite's --max-seconds sets it). */
  compareMaxSeconds: number | null;
}

export const DEFAULT_SUITE: SuiteSettings = { epochs: 1, rounds: 12, slowdownFactor: 4, compareMaxSeconds: null };

/**
 * Training-clock seconds per epoch that `compare` allows each run. Measured
 * on the default pool (1 webgpu + 2 wasm, fashion-mnist + cnn, 2 cores, no
 * GPU: SwiftShader): sync about 232 s per epoch, local 222 s; the suite's old
 * 60 s cap stopped them at 0.26 and 0.32 epoch. 1.5 times the slowest leaves
 * room for a slower page, so equal epochs are equal.
 */
export const COMPARE_SECONDS_PER_EPOCH = 360;
/** validateConfig's largest maxSeconds. */
const MAX_SECONDS = 86_400;

/** The per-run cap of `compare` at `epochs` epochs, unless the suite's --max-seconds gives one. */
export function compareTimeCap(epochs: number): number {
  return Math.min(MAX_SECONDS, Math.ceil(epochs * COMPARE_SECONDS_PER_EPOCH));
}

export function buildExperiment(name: ExperimentName, base: RunConfig, suite: SuiteSettings): Experiment {
  const k = workerCount(base);
  if (k === null) throw new ConfigError('workers', 'auto', 'an explicit pool for the paper suite (its experiments name workers by index), e.g. webgpu:1,wasm:2');
  switch (name) {
    case 'compare': {
      const maxSeconds = suite.compareMaxSeconds ?? compareTimeCap(suite.epochs);
      return {
        name,
        title: 'Time to target and final accuracy at equal epochs',
        description:
          `Every algorithm on the same pool (${formatPool(base)}) for ${suite.epochs} epoch(s) of ` +
          'floor(N / (B * K * tauFast)) rounds of tauFast fast-worker iterations, counted in iterations (a round ' +
          'stretched to a slower worker\'s step holds more), so each gets the same number of them; ' +
          'the time to the target accuracy is recorded on the way (runs do not stop there). ' +
          `Each run may train for ${maxSeconds} s; a run the cap stops before its epochs is marked and its accuracy not compared.`,
        variants: ALGOS.map((algo) => ({ label: algo, config: { algo, epochs: suite.epochs, stopAtTarget: false, maxSeconds } })),
      };
    }
    case 'ablation':
      return {
        name,
        title: 'Ablation: each mechanism of biased local SGD',
        description: 'Local SGD, then unbalanced steps alone, plus loss-biased sampling, plus weighted aggregation (all three).',
        variants: [
          { label: 'none (local SGD)', config: { algo: 'local' } },
          { label: 'unbalanced steps', config: ablation(true, false, false) },
          { label: '+ biased sampling', config: ablation(true, true, false) },
          { label: '+ weighted aggregation (all three)', config: ablation(true, true, true) },
        ],
      };
    case 'heterogeneity': {
      const tauF = base.tauFast;
      return {
        name,
        title: `Heterogeneity stress: tau_S in {16, 4, 1} with tau_F = ${tauF}`,
        description:
          'Two WASM workers, the second slowed down (emulated: it sleeps after each step so the step takes ' +
          'tauF / tauS times as long as measured), so the measured gamma gives the slow worker tau_S steps per round.',
        variants: [16, 4, 1].map((tauS) => ({
          label: `tau_S = ${tauS}`,
          intendedTau: { worker: 1, tau: tauS },
          config: {
            algo: 'biased',
            workers: [{ backend: 'wasm', count: 2 }],
            slowdown: [{ worker: 1, factor: Math.max(1, tauF / tauS), fromRound: 1 }],
          },
        })),
      };
    }
    case 'lambda':
      return {
        name,
        title: 'High-loss ratio lambda',
        description: 'The biased workers take the highest-loss quarter (0.25), tenth, half, or a uniform sample (1).',
        variants: [0.1, 0.25, 0.5, 1].map((lambda) => ({ label: `lambda = ${lambda}`, config: { algo: 'biased', lambda } })),
      };
    case 'direction':
      return {
        name,
        title: 'Bias direction: high-loss samples to the slow or the fast workers',
        description: 'The released code steers them to the slow workers; the paper summary to the fast one.',
        variants: (['slow', 'fast'] as const).map((biasDirection) => ({
          label: `to ${biasDirection}`,
          config: { algo: 'biased', biasDirection },
        })),
      };
    case 'adaptive': {
      const from = Math.floor(suite.rounds / 2) + 1;
      const worker = k - 1;
      return {
        name,
        title: 'Adaptive vs fixed budgets when a worker slows down halfway',
        description:
          `${suite.rounds} rounds; from round ${from} worker ${worker} is slowed ${suite.slowdownFactor}x (emulated). ` +
          'Fixed budgets keep the gamma measured at the start (the paper); adaptive ones re-measure every round.',
        variants: [true, false].map((adaptiveBudgets) => ({
          label: adaptiveBudgets ? 'adaptive' : 'fixed',
          config: {
            algo: 'biased',
            adaptiveBudgets,
            maxRounds: suite.rounds,
            stopAtTarget: false,
            slowdown: [{ worker, factor: suite.slowdownFactor, fromRound: from }],
          },
        })),
      };
    }
    default: {
      const never: never = name;
      throw new Error(`Unknown experiment ${JSON.stringify(never)}. Known: ${EXPERIMENT_NAMES.join(', ')}.`);
    }
  }
}

function ablation(unbalancedSteps: boolean, biasedSampling: boolean, weightedAggregation: boolean): Partial<RunConfig> {
  return { algo: 'biased', unbalancedSteps, biasedSampling, weightedAggregation };
}

function formatPool(config: RunConfig): string {
  return config.workers === 'auto' ? 'auto' : config.workers.map((g) => `${g.count} ${g.backend}`).join(' + ');
}
