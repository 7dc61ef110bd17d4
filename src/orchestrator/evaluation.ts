/**
 * Evaluating theta_bar: split across the members (each reads theta_bar and
 * evaluates a slice of the test set on its own backend, slices in
 * proportion to speed), and the target rule: a crossing seen on the first
 * evalSamples test images counts only once the whole test set confirms it.
 * Evaluation is off the training clock and on the wall clock.
 */
import { asError, messageOf } from '../core/errors';
import { EVAL_BATCH, type EvalReport, type EvaluatedPoint } from '../protocol';
import type { Member, RunState } from './run-state';
import { bisectCrossing, type Snapshot } from './target-refinement';

/**
 * Contiguous slices of `count` test samples in proportion to each member's
 * speed (1 / step time). Every slice but the fastest member's is a whole
 * number of evaluation batches (EVAL_BATCH): a worker too slow for one batch
 * gets nothing (its call and, on WebGPU, a shader compilation for an odd
 * batch shape would cost more than it saves), and the fastest takes the rest.
 */
export function evaluationSlices(members: readonly Member[], count: number): { member: Member; start: number; count: number }[] {
  const ranked = [...members].sort((a, b) => a.estimateMs - b.estimateMs);
  const speed = ranked.map((m) => 1 / m.estimateMs);
  const total = speed.reduce((a, b) => a + b, 0);
  const sizes = speed.map((s, i) => (i === 0 ? 0 : Math.floor((count * s) / total / EVAL_BATCH) * EVAL_BATCH));
  sizes[0] = count - sizes.reduce((a, b) => a + b, 0);
  const slices: { member: Member; start: number; count: number }[] = [];
  let start = 0;
  ranked.forEach((member, i) => {
    const n = sizes[i] ?? 0;
    if (n > 0) slices.push({ member, start, count: n });
    start += n;
  });
  return slices;
}

/** An evaluation split across the members: the combined figures, how many slices, and the slowest slice's time inside its worker. */
export interface SplitEvaluation extends EvalReport {
  slices: number;
  sliceMs: number;
}

/**
 * theta_bar's accuracy and loss on `count` test samples from test index
 * `from`, every member evaluating its slice at once; a slice whose member
 * fails is evaluated again by the others, fastest first.
 */
export async function evaluateSplit(members: readonly Member[], count: number, from = 0): Promise<SplitEvaluation> {
  if (members.length === 0) throw new Error('No worker is left to evaluate the model.');
  const t0 = performance.now();
  const slices = evaluationSlices(members, count).map((s) => ({ ...s, start: s.start + from }));
  const settled = await Promise.allSettled(slices.map((s) => s.member.worker.call((a) => a.evaluate(s.start, s.count))));
  let correct = 0;
  let lossSum = 0;
  let sliceMs = 0;
  const failed: { start: number; count: number; error: unknown }[] = [];
  const healthy = new Set(members);
  settled.forEach((r, i) => {
    const slice = slices[i];
    if (!slice) return;
    if (r.status === 'fulfilled') {
      correct += Math.round(r.value.accuracy * r.value.samples);
      lossSum += r.value.loss * r.value.samples;
      sliceMs = Math.max(sliceMs, r.value.evalMs);
    } else {
      healthy.delete(slice.member);
      failed.push({ ...slice, error: r.reason });
    }
  });
  const fallback = [...healthy].sort((a, b) => a.estimateMs - b.estimateMs);
  for (const slice of failed) {
    let last: unknown = slice.error;
    let done = false;
    for (const m of fallback) {
      try {
        const r = await m.worker.call((a) => a.evaluate(slice.start, slice.count));
        correct += Math.round(r.accuracy * r.samples);
        lossSum += r.loss * r.samples;
        sliceMs = Math.max(sliceMs, r.evalMs);
        done = true;
        break;
      } catch (e) {
        last = e;
      }
    }
    if (!done) throw asError(last);
  }
  return { accuracy: correct / count, loss: lossSum / count, samples: count, evalMs: performance.now() - t0, slices: slices.length, sliceMs };
}

/** Who evaluates for the run: its members, and fast-only's benched workers still alive. */
function evaluators(run: RunState): Member[] {
  return [...run.members, ...run.benched.filter((m) => m.worker.lostReason() === null)];
}

/** evaluateSplit on the whole test set, counted in the run's wholeTestSet figures. */
export async function evaluateWholeSet(run: RunState): Promise<SplitEvaluation> {
  const e = await evaluateSplit(evaluators(run), run.memory.testSize);
  countWholeSet(run, [e]);
  return e;
}

/** Counts a whole-test-set evaluation made of `parts` (one pass, or a subset and the rest) in the run's figures. */
function countWholeSet(run: RunState, parts: readonly SplitEvaluation[]): void {
  const w = run.clock.wholeTestSet;
  w.evaluations++;
  w.workers = Math.max(...parts.map((p) => p.slices));
  for (const p of parts) {
    w.ms += p.evalMs;
    w.sliceMs += p.sliceMs;
  }
}

/** One evaluation of theta_bar at training clock `atMs`, as round events and the target rule see it. */
export interface Evaluation {
  /** On the first evalSamples test images. */
  accuracy: number;
  /** Mean loss a sample on them. */
  loss: number;
  /** On the whole test set, when measured (evalSamples = all, or a crossing to confirm). */
  fullAccuracy: number | null;
  fullLoss: number | null;
  evalMs: number;
  /** When this evaluation was the crossing and its interval was wide: the kept models evaluated to narrow it. */
  refined: EvaluatedPoint[];
}

/**
 * Evaluates theta_bar for the run: on evalSamples test images, then, if that
 * reaches the target, on the whole test set to confirm it. Records the
 * result on the run's clock (time to target) and as the last accuracy; the
 * caller records a whole-test-set figure as the round's (run.fullEval) when
 * the model will not change before the round ends. A crossing whose
 * interval is wider than targetResolution is narrowed with the round-end
 * models kept since the last evaluation (targetRefine).
 */
export async function evaluateForRun(run: RunState, atMs: number): Promise<Evaluation> {
  const target = run.config.targetAccuracy;
  const t0 = performance.now();
  return run.clock.evaluation(async () => {
    const pending = run.clock.timeToTargetMs === null;
    const { first, fullAccuracy, fullLoss } = await judge(run, pending);
    run.lastAccuracy = fullAccuracy ?? first.accuracy;
    const confirmed = target !== null && fullAccuracy !== null && fullAccuracy >= target;
    run.clock.evaluated(atMs, confirmed, run.lastAccuracy);
    const refined = pending && confirmed && run.config.targetRefine ? await refineCrossing(run) : [];
    // Every kept model is older than this evaluation: none can be the first crossing after it.
    run.snapshots.clear();
    return { accuracy: first.accuracy, loss: first.loss, fullAccuracy, fullLoss, evalMs: performance.now() - t0, refined };
  });
}

/**
 * theta_bar on the evalSamples subset and, when `confirm` and the subset
 * reaches the target, on the rest of the test set: the one rule every
 * evaluation that can be a time to target follows.
 */
async function judge(run: RunState, confirm: boolean): Promise<{ first: SplitEvaluation; fullAccuracy: number | null; fullLoss: number | null }> {
  const { testSize } = run.memory;
  const target = run.config.targetAccuracy;
  const subset = Math.min(run.config.evalSamples, testSize);
  const first = subset === testSize ? await evaluateWholeSet(run) : await evaluateSplit(evaluators(run), subset);
  if (subset === testSize) return { first, fullAccuracy: first.accuracy, fullLoss: first.loss };
  if (!confirm || target === null || first.accuracy < target) return { first, fullAccuracy: null, fullLoss: null };
  // The subset is the test set's first images: the confirmation evaluates only the rest (a fifth less, by default).
  const rest = await evaluateSplit(evaluators(run), testSize - subset, subset);
  countWholeSet(run, [first, rest]);
  return {
    first,
    fullAccuracy: combined(first, rest, (e) => e.accuracy),
    fullLoss: (first.loss * subset + rest.loss * rest.samples) / testSize,
  };
}

/**
 * Bisects the crossing just confirmed over the round-end models kept inside
 * its interval, each judged as any evaluation is; theta_bar is put back
 * after. A failure leaves the interval as it was, with a note.
 */
async function refineCrossing(run: RunState): Promise<EvaluatedPoint[]> {
  const { clock, config } = run;
  const atMs = clock.timeToTargetMs;
  const afterMs = clock.targetAfterMs;
  const target = config.targetAccuracy;
  if (atMs === null || afterMs === null || target === null) return [];
  const inside = run.snapshots.inside(afterMs, atMs);
  if (inside.length === 0) return [];
  const global = run.memory.views.global;
  const current = global.slice();
  const points: EvaluatedPoint[] = [];
  try {
    const narrowed = await bisectCrossing(
      inside.map((s) => s.trainMs),
      afterMs,
      atMs,
      config.targetResolution,
      async (i) => {
        const kept = inside[i] as Snapshot;
        global.set(kept.theta);
        const e = await judge(run, true);
        points.push({ trainMs: kept.trainMs, accuracy: e.first.accuracy, fullAccuracy: e.fullAccuracy });
        return e.fullAccuracy !== null && e.fullAccuracy >= target;
      },
    );
    clock.narrowTarget(narrowed.afterMs, narrowed.atMs);
  } catch (e) {
    run.notes.push(`narrowing the time to target failed (${messageOf(e)}); it stays within (${(afterMs / 1000).toFixed(2)} s, ${(atMs / 1000).toFixed(2)} s]`);
  } finally {
    global.set(current);
  }
  return points;
}

/**
 * The accuracy of two evaluated parts taken together, weighted by the
 * predictions each made (samples for images; a text window's positions are
 * the same in every window, so samples weigh them alike).
 */
function combined(a: SplitEvaluation, b: SplitEvaluation, f: (e: SplitEvaluation) => number): number {
  return (f(a) * a.samples + f(b) * b.samples) / (a.samples + b.samples);
}
