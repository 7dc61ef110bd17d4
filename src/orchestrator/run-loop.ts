/**
 * The rounds of a run, from the first to the one that stops it, and the
 * run's end: the final evaluation, the last checkpoint and the result. The
 * engine facade owns the phase and the user's requests (stop, pause,
 * workers joining); it lends them to the loop through RunControl.
 */
import { messageOf } from '../core/errors';
import type { EvaluatedPoint, RoundEvent, RunPhase, RunResult } from '../protocol';
import { evaluateForRun, evaluateWholeSet, type Evaluation } from './evaluation';
import { poolCheckDue, recheckPool, unpark } from './pool-check';
import { assignBudgets, dropDeparted } from './roster';
import { memberWork, parkedWork, roundEvent, runResult } from './reports';
import { strategyFor, type RoundHooks } from './rounds/round-strategy';
import { roundIterations, type StopReason } from './run-clock';
import { optimizerSettings, scheduledRate, slowdownOf } from './run-helpers';
import type { Departure, RunState } from './run-state';
import type { WorkerPool } from './worker-pool';

/** What the loop needs from the engine that runs it. */
export interface RunControl {
  readonly history: RoundEvent[];
  readonly pool: WorkerPool | null;
  stopRequested(): boolean;
  pauseRequested(): boolean;
  /** Saves a checkpoint, says `paused` with `message`, and waits for resume() or stop(). */
  pauseUntilResumed(message: string): Promise<void>;
  setPhase(phase: RunPhase, message: string): void;
  round(event: RoundEvent): void;
  /** Work asked for during the run that waits for a round's end (texts to write): off the training clock. */
  betweenRounds(): Promise<void>;
  /** Seats the workers asked for since the last round. */
  admitJoiners(): Promise<void>;
  /** The run's roster changed (joins, departures, budgets): tell listeners. */
  rosterChanged(): void;
  checkpoint(): Promise<void>;
}

/** Trains rounds until one of the stop conditions holds; returns which. */
export async function trainRounds(run: RunState, control: RunControl): Promise<StopReason> {
  const { config } = run;
  const { views } = run.memory;
  const strategy = strategyFor(run.mech);
  const training = `Training with ${config.algo}.`;
  for (;;) {
    // Texts asked for while paused may still be writing on a member: the round waits for them.
    await control.betweenRounds();
    const seated = run.members.length;
    await control.admitJoiners();
    if (run.members.length > seated) run.poolChanged = true;
    await checkPoolBefore(run, run.round + 1, control);
    if (run.members.length === 0) {
      await control.pauseUntilResumed('No worker is left: the run is paused with its model intact. Add a worker to go on.');
      if (control.stopRequested()) return 'user';
      control.setPhase('training', training);
      continue;
    }
    run.round++;
    const round = run.round;
    await applySchedule(run, round);
    run.lossesAtRoundStart.set(views.losses);
    const evalMsBefore = run.clock.evalMs;
    const probes: EvaluatedPoint[] = [];
    const refined: EvaluatedPoint[] = [];
    const hooks: RoundHooks = {
      msUntilProbe: () => run.clock.msUntilEvaluation(),
      probe: async (prepare) => {
        const at = run.clock.trainMsNow();
        if (!(await run.clock.evaluation(prepare))) return 'go';
        const e = await evaluateForRun(run, at);
        probes.push({ trainMs: at, accuracy: e.accuracy, fullAccuracy: e.fullAccuracy });
        refined.push(...e.refined);
        const stop = run.clock.timeToTargetMs !== null && config.stopAtTarget;
        // The round ends here, so this whole-test-set figure is the round's.
        if (stop && e.fullAccuracy !== null) run.fullEval = { round, accuracy: e.fullAccuracy, loss: e.fullLoss };
        return stop ? 'stop' : 'go';
      },
    };
    const { value: outcome, ms: roundMs } = await run.clock.round(() => strategy.run(run, hooks));
    run.clock.aggregateMs += outcome.aggregateMs;
    run.clock.exchangeMs += outcome.exchangeMs;
    leave(run, outcome.lost, control);

    // A round where every model held NaN is divergence; one where every worker left, or a stop came before any step, is not.
    const trained = [...outcome.work.values()].some((w) => w.steps > 0);
    const diverged = trained || outcome.nonFinite > 0 ? run.guard.check(outcome.loss) : null;
    if (diverged) {
      // Undone before anyone hears of the round: theta_bar and the loss table are the last good round's.
      views.global.set(run.lastGood);
      views.losses.set(run.lossesAtRoundStart);
    } else {
      run.lastGood.set(views.global);
      run.committedRound = round;
      run.clock.fastSteps += roundIterations([...outcome.work.values()]);
    }
    // After a probe that reached the target the round ended there: its evaluation stands for the round.
    const everyRounds = config.evalEvery ?? (run.clock.targetPending() ? null : 1);
    const due = (everyRounds !== null && round % everyRounds === 0 && run.clock.evaluationAffordable()) || run.clock.evaluationDue();
    const probedEnd = probes.length > 0 && outcome.endedEarly;
    const evaluation = diverged || run.members.length === 0 || !due || probedEnd ? null : await evaluateRound(run, round);
    refined.push(...(evaluation?.refined ?? []));
    // Not evaluated now, it may still be where the target was crossed: kept to narrow that crossing later.
    if (evaluation === null && !diverged && refining(run)) run.snapshots.record(run.clock.trainMs, views.global);
    const workers = await Promise.all([
      ...run.members.map(async (m) => ({
        ...(outcome.work.get(m) ?? memberWork(m)),
        tensors: await m.worker.call((a) => a.numTensors()).catch(() => -1),
      })),
      ...run.parked.map(async (p) => ({ ...parkedWork(p.member, p.reason), tensors: await p.member.worker.call((a) => a.numTensors()).catch(() => -1) })),
    ]);
    control.round(
      roundEvent(run.clock, {
        round,
        roundMs,
        loss: outcome.loss,
        accuracy: evaluation?.accuracy ?? null,
        fullAccuracy: evaluation?.fullAccuracy ?? null,
        testLoss: evaluation?.loss ?? null,
        probes,
        ...(refined.length > 0 ? { refined } : {}),
        // Every evaluation of the round: inside it (probes, their averaging, a narrowing) and at its end.
        evalMs: run.clock.evalMs - evalMsBefore,
        aggregateMs: outcome.aggregateMs,
        exchangeMs: outcome.exchangeMs,
        workers,
        notes: run.notes.splice(0),
      }),
    );

    await control.betweenRounds();

    if (diverged) {
      const goodRound = round - 1;
      run.message =
        `Training diverged at round ${round} (${diverged}); the global model of round ${goodRound} is restored. ` +
        `Lower learningRate (now ${config.learningRate}).`;
      run.log('error', run.message);
      return 'diverged';
    }
    if (config.checkpointEvery > 0 && round % config.checkpointEvery === 0) await control.checkpoint();

    const stop = run.clock.stopAfter(round, control.stopRequested());
    if (stop) return stop;
    if (control.pauseRequested()) {
      // The training clock does not run while paused.
      await control.pauseUntilResumed(`Paused after round ${round}.`);
      if (control.stopRequested()) return 'user';
      control.setPhase('training', training);
    }
    // Not announced as a roster change: the page's workers table keeps its buttons steady under the pointer.
    if (config.adaptiveBudgets) assignBudgets(run.members, config, run.mech);
  }
}

/**
 * Ends the run: workers lost after the last round are recorded, the final
 * accuracy is measured on the whole test set (the last round's evaluation
 * already is, unless it was partial or the model was restored), the last
 * checkpoint is saved.
 */
export async function finishRun(run: RunState, stoppedBy: StopReason, control: RunControl): Promise<RunResult> {
  leave(run, [], control);
  let finalAccuracy = run.lastAccuracy;
  let finalLoss: number | null = null;
  if (run.fullEval?.round === run.round && stoppedBy !== 'diverged') {
    finalAccuracy = run.fullEval.accuracy;
    finalLoss = run.fullEval.loss;
  } else if (run.members.length > 0) {
    const report = await run.clock.evaluation(() => evaluateWholeSet(run)).catch(() => null);
    if (report) {
      finalAccuracy = report.accuracy;
      finalLoss = report.loss;
      // theta_bar is the committed round's (a diverged round is undone): the last save carries this figure.
      run.fullEval = { round: run.committedRound, accuracy: report.accuracy, loss: report.loss };
    }
  }
  const chance = atChance(run, finalAccuracy);
  if (chance && run.message === null) {
    run.message = chance;
    run.log('warn', chance);
  }
  // A run stopped before its first round has nothing new: the saved run it would replace stays.
  if (run.round > 0) await control.checkpoint();
  return runResult(run, control.history, stoppedBy, finalAccuracy, finalLoss);
}

/** Rounds after which a model still at chance is not learning (a round or two can be too short to tell). */
export const CHANCE_AFTER_ROUNDS = 3;

/**
 * Why the run's model is no better than guessing (accuracy within half of
 * chance above 1 / classes, after CHANCE_AFTER_ROUNDS rounds), or null. A
 * learning rate too high for the guard to call divergence ends this way.
 */
export function atChance(run: Pick<RunState, 'committedRound' | 'memory' | 'config'>, accuracy: number | null): string | null {
  const classes = run.memory.classes;
  if (accuracy === null || run.committedRound < CHANCE_AFTER_ROUNDS || classes < 2) return null;
  const chance = 1 / classes;
  if (accuracy > 1.5 * chance) return null;
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  return (
    `After ${run.committedRound} rounds the model sits at chance: ${pct(accuracy)} on the whole test set, where guessing gets ${pct(chance)}. ` +
    `It is not learning: lower learningRate (now ${run.config.learningRate}) or check the data.`
  );
}

/**
 * Parking between rounds: parked workers come back when no member is left;
 * otherwise, when due, the pool is measured again and budgets follow.
 */
async function checkPoolBefore(run: RunState, round: number, control: RunControl): Promise<void> {
  if (run.members.length === 0 && run.parked.length > 0) {
    const back = run.parked.splice(0).map((p) => p.member);
    // One that cannot load fails its round and leaves then.
    for (const m of back) await unpark(m).catch(() => undefined);
    run.members = back;
    tell(run, back.map((m) => `worker ${m.worker.id} (${m.worker.report.backend}) trains again: no other worker is left`));
  } else if (poolCheckDue(run, round)) {
    const { lost, notes } = await run.clock.profiling(() => recheckPool(run));
    tell(run, notes);
    leave(run, lost, control);
  } else return;
  assignBudgets(run.members, run.config, run.mech);
  control.rosterChanged();
}

function tell(run: RunState, notes: readonly string[]): void {
  for (const note of notes) run.log('info', note);
  run.notes.push(...notes);
}

/** Members that left are dropped; each departure is a round note and a warning. */
export function leave(run: RunState, lost: Departure[], control: RunControl): void {
  const notes = dropDeparted(run, lost, control.pool);
  if (notes.length === 0) return;
  run.poolChanged = true;
  for (const note of notes) run.log('warn', `In round ${run.round}: ${note}`);
  run.notes.push(...notes);
  control.rosterChanged();
}

/** The learning-rate schedule and the emulated slowdowns for round `round`. */
async function applySchedule(run: RunState, round: number): Promise<void> {
  const averaged = run.mech.fastOnly ? 1 : run.members.length;
  const rate = scheduledRate(run.config, run.clock.epochsDone(), { round, averaged });
  if (rate !== run.learningRate) {
    run.learningRate = rate;
    // A worker that cannot take it fails its round and leaves then; parked ones stay ready to come back.
    await Promise.all(
      [...run.members, ...run.parked.map((p) => p.member)].map((m) =>
        m.worker.call((a) => a.configure(optimizerSettings(run.config, run.memory.model, rate, m.worker.report.backend), false)).catch(() => undefined),
      ),
    );
    run.notes.push(`learning rate ${Number(rate.toPrecision(6))}`);
  }
  for (const m of run.members) m.slowdown = slowdownOf(run.config, m.worker.id, round);
}

/** Round-end models are kept while a target is pending and targetRefine is on. */
function refining(run: RunState): boolean {
  return run.config.targetRefine && run.config.targetAccuracy !== null && run.clock.timeToTargetMs === null;
}

/** Evaluates theta_bar after round `round` (target confirmed on the whole test set); a failure is a note, not the end. */
async function evaluateRound(run: RunState, round: number): Promise<Evaluation | null> {
  try {
    const e = await evaluateForRun(run, run.clock.trainMs);
    if (e.fullAccuracy !== null) run.fullEval = { round, accuracy: e.fullAccuracy, loss: e.fullLoss };
    return e;
  } catch (e) {
    run.notes.push(`evaluation failed: ${messageOf(e)}`);
    return null;
  }
}
