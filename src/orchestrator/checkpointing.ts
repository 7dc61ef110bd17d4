/**
 * A run as a checkpoint and back: what is saved (theta_bar, loss table,
 * round, clocks, learning rate, config, history) and how a resumed run
 * restores it. Momentum buffers stay in the workers and are not saved: a
 * resumed run restarts them from zero.
 */
import type { Checkpoint } from '../checkpoint/format';
import type { RunConfig } from '../core/config';
import { messageOf } from '../core/errors';
import type { RoundEvent } from '../protocol';
import type { Prepared } from './dataset-memory';
import type { RunState } from './run-state';

export class CheckpointMismatchError extends Error {
  override readonly name = 'CheckpointMismatchError';
}

/**
 * The run as of its committed round: mid-round, the last whole round
 * (theta_bar is not touched until the round ends); after divergence, the
 * round before (its model and loss table restored, the diverged round left
 * out of the history).
 */
export function snapshot(run: RunState, history: readonly RoundEvent[]): Checkpoint {
  const committed = run.committedRound === run.round;
  return {
    savedAt: new Date().toISOString(),
    config: run.config,
    datasetId: run.memory.datasetId,
    model: run.memory.model.name,
    round: run.committedRound,
    trainMs: run.clock.trainMs,
    learningRate: run.learningRate,
    history: history.filter((e) => e.round <= run.committedRound),
    theta: committed ? run.memory.views.global.slice() : run.lastGood.slice(),
    losses: committed ? run.memory.views.losses.slice() : run.lossesAtRoundStart.slice(),
  };
}

/** Throws, naming both, when `checkpoint` is not of `config`'s model and dataset. */
export function checkResumable(checkpoint: Checkpoint, config: RunConfig): void {
  if (checkpoint.datasetId !== config.dataset || checkpoint.model !== config.model) {
    throw new CheckpointMismatchError(
      `The checkpoint is of ${checkpoint.model} on ${checkpoint.datasetId}, but the config asks for ${config.model} on ${config.dataset}.`,
    );
  }
}

/** Puts the checkpoint's theta_bar and loss table into shared memory; throws if their sizes do not fit. */
export function restore(memory: Prepared, checkpoint: Checkpoint): void {
  const { views } = memory;
  if (checkpoint.theta.length !== views.global.length || checkpoint.losses.length !== views.losses.length) {
    throw new CheckpointMismatchError(
      `The checkpoint holds ${checkpoint.theta.length} weights and ${checkpoint.losses.length} losses; ` +
        `this model and dataset need ${views.global.length} and ${views.losses.length}.`,
    );
  }
  views.global.set(checkpoint.theta);
  views.losses.set(checkpoint.losses);
}

/** Where the resumed run's clocks go on from: its training clock, and the wall time of its last round. */
export function resumedClocks(checkpoint: Checkpoint): { trainMs: number; wallMs: number } {
  const last = checkpoint.history.at(-1);
  return { trainMs: checkpoint.trainMs, wallMs: last ? Math.max(last.wallMs, checkpoint.trainMs) : checkpoint.trainMs };
}

/** Hands a checkpoint to `save`; a failure (a full disk) is reported, never ends training. */
export async function saveQuietly(
  save: ((checkpoint: Checkpoint) => Promise<void> | void) | undefined,
  checkpoint: () => Checkpoint,
  warn: (message: string) => void,
): Promise<void> {
  if (!save) return;
  try {
    await save(checkpoint());
  } catch (e) {
    warn(`Checkpoint not saved: ${messageOf(e)}`);
  }
}
