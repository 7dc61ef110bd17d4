/**
 * The sweep's part of the benchmark summary: a row per algorithm and value
 * with the main table's time-to-target and accuracy cells, each algorithm's
 * best value marked with the rule that chose it, and the line naming the
 * values the main tables below compare. Pure, as report.ts.
 */
import type { Algo } from '../core/config';
import type { RunResult } from '../protocol';
import { finalAccuracyCell, looseNote, trainTimeCell, wallTimeCell } from './run-summary';
import { bestRuns, formatSweepValue, judgeSweep, type AlgoSweep, type BestValue, type FailedRun, type Sweep } from './sweep';
import { renderTable, type Align } from './text-table';

/** Marks each algorithm's best value in the sweep table. */
export const BEST_MARK = '*';

export interface SweepSection {
  /** The sweep table, its legend and its footnotes. */
  table: string;
  /** Which value each algorithm is judged at: the heading of the main tables. */
  chosen: string;
  /** The runs at each algorithm's best value: all that the main tables and speed-ups see. */
  runs: RunResult[];
}

const noTarget = (runs: readonly RunResult[]): boolean => runs.every((r) => r.config.targetAccuracy === null);

/** Why `best` was chosen, for the legend: `time to target` or `final accuracy (...)`. */
function ruleText(best: BestValue, groups: AlgoSweep<RunResult>['groups']): string {
  switch (best.rule) {
    case 'time':
      return 'time to target';
    case 'accuracy':
      return groups.every((g) => noTarget(g.runs)) ? 'final accuracy: no target' : 'final accuracy: no value reached the target in every seed';
    default: {
      const never: never = best.rule;
      throw new Error(`Unknown best-value rule ${String(never)}`);
    }
  }
}

/** `failures`: the result file's, so that a seed whose run failed counts against its value. */
export function sweepSection(runs: readonly RunResult[], sweep: Sweep, seeds: readonly number[], failures: readonly FailedRun[]): SweepSection {
  const { key } = sweep;
  const multi = seeds.length > 1;
  const judged = judgeSweep(runs, sweep, failures);
  const notes: string[] = [];
  const header = ['algo', key, ...(multi ? ['runs'] : []), 'time to target (train)', 'time to target (wall)', 'final acc', 'best'];
  const rows = judged.flatMap(({ algo, groups, best }) =>
    groups.map((g) => {
      const none = noTarget(g.runs);
      const train = trainTimeCell(g.runs);
      const value = formatSweepValue(g.value);
      if (!none && train.loose !== null) notes.push(looseNote(`${algo} at ${key} ${value}`, train.loose, g.runs.length));
      return [
        algo,
        value,
        ...(multi ? [`${g.runs.length}${g.failed > 0 ? ` (+${g.failed} failed)` : ''}`] : []),
        none ? 'no target' : train.text,
        none ? 'no target' : wallTimeCell(g.runs),
        finalAccuracyCell(g.runs),
        best !== null && best.value === g.value ? BEST_MARK : '',
      ];
    }),
  );
  const align: Align[] = header.map((_, c) => (c === 0 || c === header.length - 1 ? 'left' : 'right'));
  const chosenBy = (algo: Algo, groups: AlgoSweep<RunResult>['groups'], best: BestValue | null): string =>
    best === null ? `${algo} none (no run to judge)` : `${algo} ${formatSweepValue(best.value)} (${ruleText(best, groups)})`;
  const table = [
    `Sweep of ${key}: ${sweep.values.map(formatSweepValue).join(', ')}; every algorithm at every value${multi ? `, ${seeds.length} seeds each` : ''}.`,
    renderTable(header, rows, align),
    `${BEST_MARK} best ${key} per algorithm: the smallest median time to target on the training clock among the values with which every seed reached the target (a failed run did not); ` +
      'when no value did, the highest median final accuracy. Ties go to the higher final accuracy, then to the value listed first.',
    `Chosen by: ${judged.map(({ algo, groups, best }) => chosenBy(algo, groups, best)).join(', ')}.`,
    ...(multi ? ['Each cell: median (min–max) over the seeds, as in the main table below.'] : []),
    ...notes,
  ].join('\n');
  const picked = judged.flatMap(({ algo, best }) => (best === null ? [] : [`${algo} ${formatSweepValue(best.value)}`]));
  const left = judged.filter((j) => j.best === null).map((j) => j.algo);
  const chosen =
    (picked.length > 0
      ? `Each algorithm at its best ${key}: ${picked.join(', ')}. The tables and speed-ups below use only these runs.`
      : `No algorithm has a best ${key}: no run reached the target or has a final accuracy.`) +
    (left.length > 0 ? ` Left out, with no run to judge: ${left.join(', ')}.` : '');
  return { table, chosen, runs: bestRuns(judged) };
}
