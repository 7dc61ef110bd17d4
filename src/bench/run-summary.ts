/**
 * What one benchmark row says about its runs (one per seed): time to target
 * on both clocks, how finely the evaluations resolve it, how two rows
 * compare, and which runs were cut short of their epochs. Pure: the terminal
 * tables (report.ts) and the Markdown report (paper-report.ts) share it.
 */
import { percent, seconds } from '../core/format';
import type { RunResult, WorkerSummary } from '../protocol';
import { ACCURACY, BITS, EPOCHS, SECONDS, countsOf, formatSpread, median, present, type ValueFormat } from './stats';

/** The fields the summaries read, so tests can build just these. */
export type SummaryRun = Pick<
  RunResult,
  'timeToTargetMs' | 'targetAfterMs' | 'wallTimeToTargetMs' | 'finalAccuracy' | 'cutShort' | 'epochsDone' | 'stoppedBy'
>;

/**
 * Past this relative width of (targetAfterMs, timeToTargetMs] the time shown
 * may overstate the true crossing by more than a tenth: the table says so.
 */
export const RESOLUTION_LIMIT = 0.1;

/** Marks a cell whose evaluation interval a footnote gives (several seeds). */
export const LOOSE_MARK = '†';

/**
 * The median where a run that did not reach the target (null) ranks after
 * every time; null when the median itself did not reach it.
 */
export function censoredMedian(values: readonly (number | null)[]): number | null {
  if (values.length === 0) return null;
  const ranked = values.map((v) => v ?? Number.POSITIVE_INFINITY);
  const m = median(ranked);
  return Number.isFinite(m) ? m : null;
}

/** `2/3`: how many of the runs reached the target. */
export function reachedCount(values: readonly (number | null)[]): string {
  return `${present(values).length}/${values.length}`;
}

/**
 * A time to target over seeds: `6.8 s (6.1–7.4)`; with runs that did not
 * reach it, `7.4 s (6.1–not reached; 2/3 reached)`; `not reached` when none
 * did (`not reached (0/3)` over several seeds).
 */
export function formatTimeToTarget(values: readonly (number | null)[]): string {
  const reached = present(values);
  if (values.length === 0) return '-';
  if (reached.length === 0) return values.length === 1 ? 'not reached' : `not reached (0/${values.length})`;
  if (reached.length === values.length) return formatSpread(reached, SECONDS);
  const m = censoredMedian(values);
  return `${m === null ? 'not reached' : seconds(m)} (${SECONDS.bare(Math.min(...reached))}–not reached; ${reachedCount(values)} reached)`;
}

/**
 * How far before the time shown the crossing may lie, as a fraction of that
 * time: (timeToTarget - targetAfter) / timeToTarget. Null when not reached.
 */
export function resolutionOf(run: Pick<RunResult, 'timeToTargetMs' | 'targetAfterMs'>): number | null {
  const t = run.timeToTargetMs;
  if (t === null || t <= 0) return null;
  return (t - (run.targetAfterMs ?? 0)) / t;
}

export interface TargetCell {
  text: string;
  /**
   * Over several seeds, the widest relative interval when it exceeds
   * RESOLUTION_LIMIT (the cell is marked and a footnote gives it); else null.
   */
  loose: number | null;
}

/**
 * The training-clock time to target. One seed with a coarse interval prints
 * it: `25.7 s (in 12.9–25.7)`; several seeds mark the cell and return the
 * widest interval for a footnote.
 */
export function trainTimeCell(runs: readonly Pick<RunResult, 'timeToTargetMs' | 'targetAfterMs'>[]): TargetCell {
  const text = formatTimeToTarget(runs.map((r) => r.timeToTargetMs));
  const widths = present(runs.map(resolutionOf));
  const widest = widths.length > 0 ? Math.max(...widths) : 0;
  if (widest <= RESOLUTION_LIMIT) return { text, loose: null };
  const [only] = runs;
  if (runs.length === 1 && only && only.timeToTargetMs !== null) {
    return { text: `${text} (in ${SECONDS.bare(only.targetAfterMs ?? 0)}–${SECONDS.bare(only.timeToTargetMs)})`, loose: null };
  }
  return { text: `${text} ${LOOSE_MARK}`, loose: widest };
}

/** The footnote for a cell marked LOOSE_MARK. */
export function looseNote(name: string, widest: number, seeds: number): string {
  return (
    `${LOOSE_MARK} ${name}: the evaluations bracket the crossing loosely: it may lie up to ${percent(widest, 0)} ` +
    `of the time shown before it (the widest of its ${seeds} seeds' intervals between the evaluation before the target and the one that reached it).`
  );
}

/** The wall-clock time to target (no interval: the wall clock runs through the evaluations). */
export function wallTimeCell(runs: readonly Pick<RunResult, 'wallTimeToTargetMs'>[]): string {
  return formatTimeToTarget(runs.map((r) => r.wallTimeToTargetMs));
}

/**
 * Two rows' times to target. `faster`: ratio = the other's median / this
 * one's (> 1: this one reached it sooner), their seed ranges apart. `tie`:
 * the ranges overlap, so the medians' order may be chance. `incomplete`:
 * either missed the target in some seed, so no ratio is honest.
 */
export type Comparison =
  | { kind: 'faster'; ratio: number }
  | { kind: 'tie'; ratio: number }
  | { kind: 'incomplete'; reached: string; otherReached: string };

export function compareTimes(times: readonly (number | null)[], other: readonly (number | null)[]): Comparison {
  const a = present(times);
  const b = present(other);
  if (a.length === 0 || a.length < times.length || b.length === 0 || b.length < other.length) {
    return { kind: 'incomplete', reached: reachedCount(times), otherReached: reachedCount(other) };
  }
  const ratio = median(b) / median(a);
  const overlap = Math.min(...a) <= Math.max(...b) && Math.min(...b) <= Math.max(...a);
  return { kind: overlap ? 'tie' : 'faster', ratio };
}

/** What pairing reads of a run: its seed. */
export type Seeded = { config: Pick<RunResult['config'], 'seed'> };

/**
 * The two sides' runs seed by seed, in the order of `runs`' seeds: null
 * when a seed of either side has no run on the other (a run that failed
 * without a result): a comparison over the seeds both happen to have would
 * hide it.
 */
export function pairBySeed<R extends Seeded, S extends Seeded>(
  runs: readonly R[],
  other: readonly S[],
): [R, S][] | null {
  if (other.some((o) => !runs.some((r) => r.config.seed === o.config.seed))) return null;
  const pairs: [R, S][] = [];
  for (const run of runs) {
    const mate = other.find((o) => o.config.seed === run.config.seed);
    if (!mate) return null;
    pairs.push([run, mate]);
  }
  return pairs.length > 0 ? pairs : null;
}

/**
 * Seed by seed: for each seed, the other's time to target over this one's
 * (> 1: this one reached it sooner) from the two runs of that seed, which
 * start from the same initial model. Null when a seed lacks a run of either
 * or either missed the target: no ratio is honest then.
 */
export function pairedRatios(
  runs: readonly Pick<RunResult, 'timeToTargetMs' | 'config'>[],
  other: readonly Pick<RunResult, 'timeToTargetMs' | 'config'>[],
): number[] | null {
  const pairs = pairBySeed(runs, other);
  if (pairs === null) return null;
  const ratios: number[] = [];
  for (const [run, mate] of pairs) {
    if (run.timeToTargetMs === null || mate.timeToTargetMs === null || run.timeToTargetMs <= 0) return null;
    ratios.push(mate.timeToTargetMs / run.timeToTargetMs);
  }
  return ratios;
}

/** A ratio: `1.45x`, bare `1.45`. */
export const TIMES: ValueFormat = { full: (x) => `${x.toFixed(2)}x`, bare: (x) => x.toFixed(2) };

/** `1.45x (1.10–2.50)` for paired ratios, or `-` when there are none. */
export function pairedCell(ratios: readonly number[] | null): string {
  return ratios === null ? '-' : formatSpread(ratios, TIMES);
}

/** `2.50x`, `tie`, `2/3 vs 3/3 reached`: short, for a matrix cell. */
export function comparisonCell(c: Comparison): string {
  switch (c.kind) {
    case 'faster':
      return `${c.ratio.toFixed(2)}x`;
    case 'tie':
      return 'tie';
    case 'incomplete':
      return `${c.reached} vs ${c.otherReached} reached`;
    default: {
      const never: never = c;
      throw new Error(`Unknown comparison ${JSON.stringify(never)}`);
    }
  }
}

/** The same, spelled out for a line of text. */
export function comparisonText(c: Comparison): string {
  switch (c.kind) {
    case 'faster':
      return `${c.ratio.toFixed(2)}x`;
    case 'tie':
      return `tie (the seeds' ranges overlap; medians ${c.ratio.toFixed(2)}x)`;
    case 'incomplete':
      return `not compared: the target was reached in ${c.reached} vs ${c.otherReached} runs`;
    default: {
      const never: never = c;
      throw new Error(`Unknown comparison ${JSON.stringify(never)}`);
    }
  }
}

/** Why a run that was cut short of its epochs ended, for people. */
const CUT_CAUSES: Readonly<Record<RunResult['stoppedBy'], string>> = {
  time: 'time cap',
  rounds: 'round cap',
  user: 'stopped',
  diverged: 'diverged',
  target: 'target reached',
  epochs: 'epochs',
};

/** `cut at 0.26 epoch (time cap)` for the runs cut short of their epochs, or null when none was. */
export function cutShortNote(runs: readonly Pick<RunResult, 'cutShort' | 'epochsDone' | 'stoppedBy'>[]): string | null {
  const cut = runs.filter((r) => r.cutShort);
  if (cut.length === 0) return null;
  return `cut at ${formatSpread(cut.map((r) => r.epochsDone), EPOCHS)} epoch (${countsOf(cut.map((r) => CUT_CAUSES[r.stoppedBy]))})`;
}

/**
 * A text model's final loss in bits per character (the whole test set's loss
 * / ln 2), median and spread; results from before finalLoss existed count as
 * missing.
 */
export function bitsPerCharCell(runs: readonly Pick<RunResult, 'finalLoss'>[]): string {
  return formatSpread(present(runs.map((r) => (r.finalLoss === null || r.finalLoss === undefined ? null : r.finalLoss / Math.LN2))), BITS);
}

/**
 * Final accuracy, where only runs that finished their epochs count as the
 * row's accuracy; a cut-short run's accuracy is printed beside its mark,
 * never as if it had finished: `83.71%, cut at 0.26 epoch (time cap)`.
 */
export function finalAccuracyCell(runs: readonly SummaryRun[]): string {
  const finished = runs.filter((r) => !r.cutShort);
  const cut = runs.filter((r) => r.cutShort);
  const finishedText = formatSpread(present(finished.map((r) => r.finalAccuracy)), ACCURACY);
  const note = cutShortNote(cut);
  if (note === null) return finishedText;
  const cutText = formatSpread(present(cut.map((r) => r.finalAccuracy)), ACCURACY);
  if (finished.length === 0) return `${cutText}, ${note}`;
  return `${finishedText} (${finished.length}/${runs.length} finished); ${cut.length} ${note}: ${cutText}`;
}

/**
 * The row with the highest median final accuracy among those whose every run
 * finished; rows with a cut-short run are listed, not ranked.
 */
export function bestFinished(rows: readonly [string, readonly SummaryRun[]][]): { best: { name: string; accuracy: number } | null; cut: string[] } {
  let best: { name: string; accuracy: number } | null = null;
  const cut: string[] = [];
  for (const [name, runs] of rows) {
    if (runs.some((r) => r.cutShort)) {
      cut.push(name);
      continue;
    }
    const accuracies = present(runs.map((r) => r.finalAccuracy));
    if (accuracies.length === 0) continue;
    const accuracy = median(accuracies);
    if (best === null || accuracy > best.accuracy) best = { name, accuracy };
  }
  return { best, cut };
}

/**
 * A worker's measured step time (its last round, the emulated wait
 * included), with the emulation spelled out: `62.8 ms (x4 emulated; 16.3 ms
 * without the wait)`. `unit` false for a column whose header names ms.
 */
export function stepTimeText(w: Pick<WorkerSummary, 'stepMs' | 'measuredStepMs' | 'slowdown'>, unit = true): string {
  const ms = (x: number): string => `${x.toFixed(1)}${unit ? ' ms' : ''}`;
  return w.slowdown > 1 ? `${ms(w.stepMs)} (x${w.slowdown} emulated; ${ms(w.measuredStepMs)} without the wait)` : ms(w.stepMs);
}

/**
 * The run in the middle when ranked by time to target (not reached last),
 * ties broken by the higher final accuracy first: the one seed a plot shows
 * for a variant. For an even count, the lower middle. Null for no runs.
 */
export function medianRun<R extends Pick<RunResult, 'timeToTargetMs' | 'finalAccuracy'>>(runs: readonly R[]): R | null {
  const ranked = [...runs].sort(
    (a, b) =>
      (a.timeToTargetMs ?? Number.POSITIVE_INFINITY) - (b.timeToTargetMs ?? Number.POSITIVE_INFINITY) ||
      (b.finalAccuracy ?? 0) - (a.finalAccuracy ?? 0),
  );
  return ranked[Math.floor((ranked.length - 1) / 2)] ?? null;
}
