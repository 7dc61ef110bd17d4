/**
 * A local-SGD round (biased, local, fast-only): every member loads theta_bar,
 * takes its tau_i steps on its shard and publishes theta_i; theta_bar becomes
 * their weighted average. A member whose model holds NaN or Infinity is left
 * out and restarted from theta_bar with fresh momentum.
 *
 * When the evaluation cadence falls inside the round, the round runs in
 * stretches: each member takes the steps its speed fits before the
 * evaluation is due, publishes, and the weighted average of where the members
 * are (the model the round would give if it ended there) is evaluated; then
 * each goes on from its own published model, momentum and sample stream
 * untouched, so the round's result is the same as without the pause.
 *
 * Filled by time (slowWorkers fill, adaptive budgets): when pacers' steps
 * set the round's length (Budgets.paces: workers of few steps beside others,
 * else the fast worker), the others do not take a step count estimated to
 * fit it but, past their floor, step until every pacer is done, so nobody
 * waits for a step time that was misjudged. Their budgets are then only a
 * bound (FILL_BOUND times the estimate).
 */
import { aggregationWeights, weightedAverageInto } from '../../core/aggregate';
import { ADAPTIVE_SMOOTHING, updateStepEstimate } from '../../core/schedule';
import type { RoundReport } from '../../protocol';
import { addWork, memberWork } from '../reports';
import { ensureShards } from '../roster';
import type { Departure, Member, MemberWork, RoundOutcome, RunState } from '../run-state';
import { reasonOf } from '../worker-handle';
import type { RoundHooks } from './round-strategy';

/** One member's progress through the round, summed over its stretches. */
export interface Progress {
  member: Member;
  steps: number;
  busyMs: number;
  exchangeMs: number;
  lossSum: number;
  /** Sums of each stretch's median step time times its steps: the round's step time is their mean. */
  stepMsSum: number;
  measuredMsSum: number;
  finite: boolean;
  /** Fills the round by time while pacers step: up to FILL_BOUND x its budget, until they are done. */
  fills: boolean;
  /** Filled the round by time and the pacers are done: its round is over, whatever its budget. */
  closed: boolean;
}

/**
 * A filler's steps are bounded by this many times its estimated budget (and
 * its shard drawn for as many; what it does not train on goes back to the
 * stream). Four covers the first round, whose estimates come from profiling,
 * which has put SwiftShader's step at half its time beside busy WASM
 * workers. A pacer far slower than that still leaves the filler
 * idle at the bound rather than stepping without end.
 */
export const FILL_BOUND = 4;

export async function localRound(run: RunState, hooks: RoundHooks): Promise<RoundOutcome> {
  const { views } = run.memory;
  const round = run.round;
  // Fixed budgets are fixed step counts (the paper's gamma): only adaptive ones fill by time.
  const byTime = run.config.slowWorkers === 'fill' && run.config.adaptiveBudgets && run.members.some((m) => m.paces);
  // A biased filler reads its loss-ranked quota first, then uniform samples (ensureShards' bound).
  const fills = (m: Member): boolean => byTime && !m.paces;
  ensureShards(run, (m) => m.tau, (m) => (fills(m) ? FILL_BOUND * m.tau : m.tau));
  const lost: Departure[] = [];
  let active: Progress[] = run.members.map((member) => ({
    member,
    steps: 0,
    busyMs: 0,
    exchangeMs: 0,
    lossSum: 0,
    stepMsSum: 0,
    measuredMsSum: 0,
    finite: true,
    fills: fills(member),
    closed: false,
  }));
  let wall = 0;
  let aggregateMs = 0;
  let endedEarly = false;
  let started = false;

  for (;;) {
    const plan = stretch(active, hooks.msUntilProbe());
    // Pacers in the stretch (their few steps are the round): the others step until every pacer is done.
    const paced = plan.some(({ p }) => p.member.paces) && plan.some(({ p }) => p.fills);
    const closing = paced ? views.openStretch() : 0;
    const start = performance.now();
    const calls = plan.map(({ p, steps }) => {
      const filler = paced && p.fills;
      return p.member.worker.call((a) =>
        a.runRound({
          round,
          // Up to its bound, and at least the steps this stretch plans of its floor.
          steps: filler ? Math.max(1, stepLimit(p) - p.steps) : steps,
          minSteps: filler ? Math.max(0, Math.min(steps, p.member.floor - p.steps)) : 0,
          shardOffset: p.member.shard.offset + p.steps * p.member.batch,
          shardStored: p.member.shard.stored,
          slowdown: p.member.slowdown,
          untilClosed: filler ? closing : 0,
          resume: started,
        }),
      );
    });
    if (paced) {
      // Done or failed, a pacer is no longer stepping: nobody waits for it.
      const pacers = calls.filter((_, i) => plan[i]?.p.member.paces === true);
      void Promise.allSettled(pacers).then(() => views.closeStretch(closing));
    }
    const settled = await Promise.allSettled(calls);
    // Closed by now in any case (the pacers settled first); said again so no later stretch can share its id.
    if (paced) views.closeStretch(closing);
    wall += performance.now() - start;
    started = true;
    settled.forEach((s, i) => {
      const entry = plan[i];
      if (!entry) return;
      const { p } = entry;
      if (s.status === 'rejected') lost.push({ member: p.member, reason: reasonOf(s.reason) });
      else if (views.slotVersion(p.member.worker.id) !== round) {
        const version = views.slotVersion(p.member.worker.id);
        lost.push({ member: p.member, reason: `reported round ${round} but its slot holds version ${version}` });
      } else addStretch(p, s.value);
    });
    active = active.filter((p) => !lost.some((l) => l.member === p.member));
    // No pacer left stepping: the round is over for those filling it when the pacers took their steps (an
    // evaluation may have split them); when every pacer left, the fillers go back to their budgets.
    if (!active.some((p) => p.member.paces && p.steps < p.member.tau)) {
      const pacersDone = active.some((p) => p.member.paces);
      for (const p of active) {
        if (p.fills) p.closed = pacersDone;
        p.fills = false;
      }
    }
    const unfinished = active.some(unfinishedIn);
    // Interrupted (stop, time limit): the round ends at the steps taken and is averaged as such.
    if (!unfinished || active.length === 0 || views.interrupted()) break;
    // Paused for an evaluation: averaging where the members are is off the training clock, like the evaluation.
    const verdict = await hooks.probe(async () => {
      const t0 = performance.now();
      const finite = average(run, active);
      aggregateMs += performance.now() - t0;
      return finite;
    });
    if (verdict === 'stop') {
      endedEarly = true;
      break;
    }
  }

  // Ended by an evaluation that reached the target: theta_bar already holds that average.
  if (!endedEarly) {
    const t0 = performance.now();
    average(run, active);
    aggregateMs += performance.now() - t0;
  }

  const work = new Map<Member, MemberWork>();
  let lossSum = 0;
  let lossWeight = 0;
  for (const p of active) {
    const m = p.member;
    const stepMs = p.steps > 0 ? p.stepMsSum / p.steps : m.stepMs;
    const idleMs = Math.max(0, wall - p.busyMs);
    const own = memberWork(m, { tau: m.tau, steps: p.steps, samples: p.steps * m.batch, busyMs: p.busyMs, idleMs, stepMs, biased: m.biased });
    m.shard.offset += p.steps * m.batch;
    addWork(m, own);
    if (p.steps > 0) {
      m.stepMs = stepMs;
      m.measuredStepMs = p.measuredMsSum / p.steps;
    }
    if (!p.finite) {
      run.notes.push(`worker ${m.worker.id} published NaN/Infinity: left out of the average and restarted from theta_bar`);
      run.log('warn', `Worker ${m.worker.id}'s model held NaN/Infinity in round ${round}; excluded.`);
      // Its momentum produced the bad model: start it afresh.
      await m.worker.call((a) => a.loadGlobal(true)).catch(() => undefined);
      continue;
    }
    if (run.config.adaptiveBudgets && p.steps > 0) m.estimateMs = updateStepEstimate(m.estimateMs, stepMs, ADAPTIVE_SMOOTHING);
    lossSum += p.lossSum;
    lossWeight += p.steps;
    work.set(m, own);
  }
  return {
    loss: lossWeight > 0 ? lossSum / lossWeight : Number.NaN,
    aggregateMs,
    exchangeMs: active.length > 0 ? Math.max(...active.map((p) => p.exchangeMs)) : 0,
    work,
    nonFinite: active.filter((p) => !p.finite).length,
    endedEarly,
    lost,
  };
}

/**
 * The next stretch: the steps each unfinished member fits into `dueInMs` of
 * training clock at the step time of its last round (measured beside the
 * others, so contention is in it; profiled alone it would overrun); all its
 * remaining steps when no evaluation falls in the round. A stretch lasts at
 * least one step of its slowest member: shorter, and the others would wait
 * at the pause for a step that cannot be split (the evaluation then comes
 * that much later).
 */
function stretch(active: readonly Progress[], dueInMs: number): { p: Progress; steps: number }[] {
  const unfinished = active.filter(unfinishedIn);
  const stepOf = (p: Progress): number => Math.max(1e-3, p.member.stepMs);
  const span = Math.max(dueInMs, ...unfinished.map(stepOf));
  return unfinished.map((p) => {
    // A filler past its budget plans none here: its order is its bound, its floor taken.
    const left = Math.max(0, p.member.tau - p.steps);
    const fits = Number.isFinite(span) ? Math.max(1, Math.round(span / stepOf(p))) : left;
    return { p, steps: Math.min(left, fits) };
  });
}

/** Steps it may take this round: its budget, or its bound while it fills the round by time. */
function stepLimit(p: Progress): number {
  return p.fills ? FILL_BOUND * p.member.tau : p.member.tau;
}

/** Still has steps to take this round: under its limit, and not a filler whose pacers are done. */
function unfinishedIn(p: Progress): boolean {
  return !p.closed && p.steps < stepLimit(p);
}

/** Adds one stretch's report to a member's progress through the round. */
export function addStretch(p: Progress, r: RoundReport): void {
  p.busyMs += r.busyMs;
  p.exchangeMs += r.exchangeMs;
  p.finite = r.finite;
  // A stretch a stop cut before its first step has no loss (NaN) and no step time: nothing to add, and NaN x 0 is NaN.
  if (r.steps === 0) return;
  p.steps += r.steps;
  p.lossSum += r.loss * r.steps;
  p.stepMsSum += r.stepMs * r.steps;
  p.measuredMsSum += r.measuredStepMs * r.steps;
}

/**
 * theta_bar := the weighted average of the members' published models, finite
 * ones that took a step only (one interrupted before its first step holds
 * theta_bar as it was); false when none is finite.
 */
function average(run: RunState, active: readonly Progress[]): boolean {
  const { views } = run.memory;
  if (!active.some((p) => p.finite)) return false;
  const included = active.map((p) => p.finite && p.steps > 0);
  if (!included.some(Boolean)) return true;
  const weights = aggregationWeights(
    run.mech.aggregation,
    active.map((p) => p.steps),
    active.map((p) => p.steps * p.member.batch),
    included,
  );
  weightedAverageInto(views.global, active.map((p) => views.slot(p.member.worker.id)), weights);
  return true;
}
