/**
 * What the engine tells the outside world about a run: per-worker work in
 * a round, the round event, and the run result. Built in one place so the
 * local round, the sync round and idle members report the same fields.
 */
import type { RoundEvent, RunResult, WorkerSummary } from '../protocol';
import type { RunClock, StopReason } from './run-clock';
import type { Member, MemberWork, RunState } from './run-state';

/** A member's work in one round; with no `done`, a member that did nothing this round. */
export function memberWork(
  m: Member,
  done: { tau: number; steps: number; samples: number; busyMs: number; idleMs: number; stepMs: number; biased: boolean } | null = null,
): MemberWork {
  return {
    id: m.worker.id,
    backend: m.worker.report.backend,
    tau: done?.tau ?? m.tau,
    steps: done?.steps ?? 0,
    samples: done?.samples ?? 0,
    busyMs: done?.busyMs ?? 0,
    idleMs: done?.idleMs ?? 0,
    stepMs: done?.stepMs ?? m.stepMs,
    biased: done?.biased ?? m.biased,
    parked: null,
  };
}

/** A parked worker in a round: no budget, no work, and why. */
export function parkedWork(m: Member, reason: string): MemberWork {
  return { ...memberWork(m), tau: 0, biased: false, parked: reason };
}

/** Adds a round's work to the member's run totals. */
export function addWork(m: Member, work: MemberWork): void {
  m.steps += work.steps;
  m.samples += work.samples;
  m.busyMs += work.busyMs;
  m.idleMs += work.idleMs;
}

/** A round event: the round's own figures, stamped with the run's clocks as they read after it. */
export function roundEvent(clock: RunClock, round: Omit<RoundEvent, 'wallMs' | 'trainMs'>): RoundEvent {
  return { ...round, wallMs: clock.wallMs(), trainMs: clock.trainMs };
}

export function runResult(
  run: RunState,
  history: readonly RoundEvent[],
  stoppedBy: StopReason,
  finalAccuracy: number | null,
  finalLoss: number | null = null,
): RunResult {
  const { clock, config } = run;
  const epochsDone = clock.epochsDone();
  return {
    algo: config.algo,
    config,
    workers: withPriorWork(
      run,
      [...run.members, ...run.parked.map((p) => p.member), ...run.departed].map((m) => ({
        id: m.worker.id,
        backend: m.worker.report.backend,
        requested: m.worker.requested,
        stepMs: m.stepMs,
        measuredStepMs: m.measuredStepMs,
        slowdown: m.slowdown,
        tau: m.tau,
        steps: m.steps,
        samples: m.samples,
        busyMs: m.busyMs,
        idleMs: m.idleMs,
        left: run.departed.includes(m) ? (m.worker.lostReason() ?? 'left') : null,
        parked: run.parked.find((p) => p.member === m)?.reason ?? null,
      })),
    ),
    rounds: run.round,
    wallMs: clock.wallMs(),
    trainMs: clock.trainMs,
    profileMs: clock.profileMs,
    evalMs: clock.evalMs,
    wholeTestSet: wholeTestSetOf(clock),
    aggregateMs: clock.aggregateMs,
    exchangeMs: clock.exchangeMs,
    timeToTargetMs: clock.timeToTargetMs,
    targetAfterMs: clock.targetAfterMs,
    wallTimeToTargetMs: clock.wallTimeToTargetMs,
    epochsDone,
    cutShort: config.epochs !== null && clock.fastSteps < (clock.epochSteps() ?? 0),
    finalAccuracy,
    finalLoss,
    aggregation: run.mech.aggregation,
    emulated: config.slowdown.length > 0,
    roundsPerEpoch: clock.roundsPerEpoch,
    stoppedBy,
    message: run.message,
    history: history.map((e) => ({
      round: e.round,
      trainMs: e.trainMs,
      loss: e.loss,
      accuracy: e.accuracy,
      ...(e.testLoss !== null && e.testLoss !== undefined ? { testLoss: e.testLoss } : {}),
      ...(e.notes.length > 0 ? { notes: e.notes } : {}),
    })),
  };
}

/**
 * A resumed run's workers with the work of the run's earlier part added (by
 * worker id, which the pool keeps across page loads); a worker of the
 * earlier part that is not in this pool is listed as having left then.
 */
function withPriorWork(run: RunState, now: WorkerSummary[]): WorkerSummary[] {
  const out = now.map((w) => ({ ...w }));
  for (const prior of run.priorWork) {
    const w = out.find((x) => x.id === prior.id);
    if (w) {
      w.steps += prior.steps;
      w.samples += prior.samples;
      w.busyMs += prior.busyMs;
      w.idleMs += prior.idleMs;
    } else {
      const backend = prior.backend as WorkerSummary['backend'];
      out.push({
        id: prior.id, backend, requested: backend, stepMs: 0, measuredStepMs: 0, slowdown: 1, tau: 0,
        steps: prior.steps, samples: prior.samples, busyMs: prior.busyMs, idleMs: prior.idleMs,
        left: 'not in the pool after the resume', parked: null,
      });
    }
  }
  return out;
}

function wholeTestSetOf(clock: RunClock): RunResult['wholeTestSet'] {
  const w = clock.wholeTestSet;
  if (w.evaluations === 0) return null;
  return { evaluations: w.evaluations, workers: w.workers, meanMs: w.ms / w.evaluations, meanSliceMs: w.sliceMs / w.evaluations };
}
