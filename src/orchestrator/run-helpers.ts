/**
 * Small pure pieces of a run that the orchestrator applies round by round:
 * the learning-rate schedule, emulated slowdowns, optimizer settings, and
 * the divergence guard. Kept apart so they are unit-tested in Node.
 */
import { batchSizeOf, type BackendName, type RunConfig } from '../core/config';
import type { ModelSpec } from '../models/spec';
import type { OptimizerSettings } from '../protocol';

/**
 * The learning rate at a (fractional) epoch: step decay at each of
 * lrDecayEpochs, times the pool's scaling. `pool`: the round (1-based) and
 * how many workers' models or gradients are averaged (1 for fast-only).
 */
export function scheduledRate(
  config: Pick<RunConfig, 'learningRate' | 'lrDecayEpochs' | 'lrDecayFactor' | 'lrScaling' | 'lrWarmupRounds'>,
  epoch: number,
  pool: { round: number; averaged: number } = { round: 1, averaged: 1 },
): number {
  const decays = config.lrDecayEpochs.filter((e) => epoch >= e).length;
  return config.learningRate * config.lrDecayFactor ** decays * poolScale(config, pool.round, pool.averaged);
}

/**
 * Averaging K models (or K gradients) acts like a K-times larger batch, so
 * the step that suits one worker is small for K: x K (linear) or x sqrt(K).
 * A scaled rate ramps up linearly over lrWarmupRounds rounds, from 1 x in
 * round 0, because a large rate on an untrained model can diverge.
 */
export function poolScale(config: Pick<RunConfig, 'lrScaling' | 'lrWarmupRounds'>, round: number, averaged: number): number {
  const k = Math.max(1, averaged);
  const full = config.lrScaling === 'linear' ? k : config.lrScaling === 'sqrt' ? Math.sqrt(k) : 1;
  if (full === 1 || config.lrWarmupRounds === 0) return full;
  return 1 + (full - 1) * Math.min(1, Math.max(0, round) / config.lrWarmupRounds);
}

/** The emulated slowdown of worker `id` in round `round` (the last rule in force wins). */
export function slowdownOf(config: Pick<RunConfig, 'slowdown'>, id: number, round: number): number {
  let factor = 1;
  for (const rule of config.slowdown) if (rule.worker === id && rule.fromRound <= round) factor = rule.factor;
  return factor;
}


/** A worker's optimizer settings: the run's, at the batch size of the backend it runs (`backend`). */
export function optimizerSettings(config: RunConfig, model: ModelSpec, learningRate: number, backend: BackendName): OptimizerSettings {
  const colour = model.inputShape[2] === 3;
  const augment = config.augmentation === 'on' || (config.augmentation === 'auto' && colour);
  return {
    learningRate,
    momentum: config.momentum,
    weightDecay: config.weightDecay,
    batchSize: batchSizeOf(config, backend),
    augment: augment ? { cropPadding: 4, flip: true } : { cropPadding: 0, flip: false },
    seed: config.seed,
  };
}

/**
 * A round loss this many times an untrained classifier's (ln classes) is
 * divergence whatever came before: guessing uniformly does better, and no
 * healthy run's round averages that far above it (a fresh model starts near
 * 1x). `factor` x the best so far cannot see it when the first round already
 * blew up (learning rate 10: 16.4, then about 5, for ten classes).
 */
export const EXPLODED_FACTOR = 3;

/**
 * Watches the round loss: a loss that is not finite, above `factor` times
 * the best so far, or above EXPLODED_FACTOR times an untrained model's, is
 * divergence. Otherwise the round's model is the last good one.
 */
export class DivergenceGuard {
  private best: number;

  /**
   * `reference`: the loss to beat before any round, ln(classes) (an
   * untrained classifier's cross-entropy), so a run that blows up in its
   * first round is caught too instead of setting a huge "best so far".
   */
  constructor(
    private readonly factor: number,
    private readonly reference = Number.POSITIVE_INFINITY,
  ) {
    this.best = reference;
  }

  /** Null when the loss is fine, else why it is not. */
  check(loss: number): string | null {
    if (!Number.isFinite(loss)) return `loss is ${loss}`;
    if (Number.isFinite(this.reference) && loss > EXPLODED_FACTOR * this.reference) {
      return `loss ${loss.toPrecision(4)} is over ${EXPLODED_FACTOR}x an untrained model's (${this.reference.toPrecision(4)}): worse than guessing`;
    }
    if (Number.isFinite(this.best) && loss > this.factor * this.best) {
      return `loss ${loss.toPrecision(4)} is over ${this.factor}x the best so far (${this.best.toPrecision(4)})`;
    }
    this.best = Math.min(this.best, loss);
    return null;
  }
}
