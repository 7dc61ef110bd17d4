/**
 * A run as a checkpoint and back: what is saved (theta_bar, loss table,
 * round, clocks, learning rate, config, history) and how a resumed run
 * restores it. Momentum buffers stay in the workers and are not saved: a
 * resumed run restarts them from zero.
 */
import type { Checkpoint, RunTotals } from '../checkpoint/format';
import type { RunConfig } from '../core/config';
import { messageOf } from '../core/errors';
import type { RoundEvent } from '../protocol';
import type { Prepared } from './dataset-memory';
import type { ResumedClocks } from './run-clock';
import type { RunState } from './run-state';

export class CheckpointMismatchError extends Error {
  override readonly name = 'CheckpointMismatchError';
}

/**
 * The run as of its committed round: mid-round, the last whole round
 * (theta_bar is not touched until the round ends); after divergence, the
 * round before (its model and loss table restored, the diverged round left
 * out of the history). Null when that model holds NaN or Infinity: such a
 * state is never saved, so it cannot replace a good one.
 */
export function snapshot(run: RunState, history: readonly RoundEvent[]): Checkpoint | null {
  const committed = run.committedRound === run.round;
  const theta = committed ? run.memory.views.global.slice() : run.lastGood.slice();
  if (firstNonFinite(theta) !== -1) return null;
  return {
    savedAt: new Date().toISOString(),
    runId: run.runId,
    config: run.config,
    datasetId: run.memory.datasetId,
    model: run.memory.model.name,
    round: run.committedRound,
    trainMs: run.clock.trainMs,
    learningRate: run.learningRate,
    fullAccuracy: run.fullEval?.round === run.committedRound ? run.fullEval.accuracy : null,
    totals: totalsOf(run),
    history: history.filter((e) => e.round <= run.committedRound),
    theta,
    losses: committed ? run.memory.views.losses.slice() : run.lossesAtRoundStart.slice(),
  };
}

/** Index of the first NaN or infinite value, or -1. */
export function firstNonFinite(values: Float32Array): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return i;
  return -1;
}

/** The run's totals so far, a resumed run's earlier part included. */
export function totalsOf(run: RunState): RunTotals {
  const { clock } = run;
  const workers = new Map(run.priorWork.map((w) => [w.id, { ...w }]));
  for (const m of [...run.members, ...run.parked.map((p) => p.member), ...run.departed]) {
    const id = m.worker.id;
    const w = workers.get(id) ?? { id, backend: m.worker.report.backend, steps: 0, samples: 0, busyMs: 0, idleMs: 0 };
    workers.set(id, { ...w, steps: w.steps + m.steps, samples: w.samples + m.samples, busyMs: w.busyMs + m.busyMs, idleMs: w.idleMs + m.idleMs });
  }
  return {
    wallMs: clock.wallMs(),
    profileMs: clock.profileMs,
    evalMs: clock.evalMs,
    aggregateMs: clock.aggregateMs,
    exchangeMs: clock.exchangeMs,
    wholeTestSet: { ...clock.wholeTestSet },
    workers: [...workers.values()].sort((a, b) => a.id - b.id),
  };
}

/**
 * Throws, naming both, when `checkpoint` is not of `config`'s model and
 * dataset, or its model holds NaN or Infinity (resuming it would train
 * nothing and save over the good state the user had).
 */
export function checkResumable(checkpoint: Checkpoint, config: RunConfig): void {
  if (checkpoint.datasetId !== config.dataset || checkpoint.model !== config.model) {
    throw new CheckpointMismatchError(
      `The checkpoint is of ${checkpoint.model} on ${checkpoint.datasetId}, but the config asks for ${config.model} on ${config.dataset}.`,
    );
  }
  const bad = firstNonFinite(checkpoint.theta);
  if (bad !== -1) {
    throw new CheckpointMismatchError(
      `The checkpoint's model cannot be resumed: weight ${bad} is ${checkpoint.theta[bad]} (every weight must be finite). Resume an earlier save.`,
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

/**
 * Where the resumed run's clocks and sums go on from: the checkpoint's
 * totals (version 2), else its training clock and the wall time of its last
 * round (version 1, whose other sums are unknown and start at zero).
 */
export function resumedClocks(checkpoint: Checkpoint): ResumedClocks {
  const last = checkpoint.history.at(-1);
  const wallMs = Math.max(checkpoint.totals?.wallMs ?? 0, last?.wallMs ?? 0, checkpoint.trainMs);
  return { trainMs: checkpoint.trainMs, wallMs, totals: checkpoint.totals };
}

/** Hands a checkpoint to `save`; a failure (a full disk), or a model not fit to save, is reported, never ends training. */
export async function saveQuietly(
  save: ((checkpoint: Checkpoint) => Promise<void> | void) | undefined,
  checkpoint: () => Checkpoint | null,
  warn: (message: string) => void,
): Promise<void> {
  if (!save) return;
  try {
    const c = checkpoint();
    if (c === null) {
      warn('Checkpoint not saved: the global model holds NaN or Infinity; the last save stays.');
      return;
    }
    await save(c);
  } catch (e) {
    warn(`Checkpoint not saved: ${messageOf(e)}`);
  }
}
