/**
 * The Sweep panel's results table without the DOM: one row per trial that
 * ended, its cells as text, the order a header click gives (stable; a trial
 * without the value sorts last either way), and the best trial
 * (records.ts bestTrial) marked. Tested in Node.
 */
import { percent, seconds } from '../core/format';
import { trainTimeCell, wallTimeCell } from '../bench/run-summary';
import { bestTrial, type TrialRecord } from '../sweep/records';
import { formatAxisValue, type SweepKey } from '../sweep/plan';
import { stoppedByText } from './run-data';

/** The columns a header click sorts by; `trial` is the plan's order. */
export type SortColumn = 'trial' | 'trainTarget' | 'wallTarget' | 'accuracy' | 'wall';
export type SortDirection = 'ascending' | 'descending';

export interface SweepSort {
  readonly column: SortColumn;
  readonly direction: SortDirection;
}

export const SORT_LABELS: Readonly<Record<SortColumn, string>> = {
  trial: 'Trial',
  trainTarget: 'Time to target (training)',
  wallTarget: 'Time to target (wall)',
  accuracy: 'Final accuracy',
  wall: 'Wall time',
};

/** The plan's order, as the trials ran. */
export const PLAN_ORDER: SweepSort = { column: 'trial', direction: 'ascending' };

/** A first click sorts best first (times ascending, accuracy descending); a second click on the same column reverses. */
export function nextSort(current: SweepSort, column: SortColumn): SweepSort {
  if (current.column === column) return { column, direction: current.direction === 'ascending' ? 'descending' : 'ascending' };
  return { column, direction: column === 'accuracy' ? 'descending' : 'ascending' };
}

/** The value a column sorts by; null: not reached, not measured, or the trial failed. */
function sortValue(record: TrialRecord, column: SortColumn): number | null {
  const s = record.summary;
  switch (column) {
    case 'trial':
      return record.index;
    case 'trainTarget':
      return s?.timeToTargetMs ?? null;
    case 'wallTarget':
      return s?.wallTimeToTargetMs ?? null;
    case 'accuracy':
      return s?.finalAccuracy ?? null;
    case 'wall':
      return s?.wallMs ?? null;
    default: {
      const never: never = column;
      return never;
    }
  }
}

/** `records` in `sort`'s order: stable (ties keep the given order), missing values last in both directions. */
export function sortRecords(records: readonly TrialRecord[], sort: SweepSort): TrialRecord[] {
  const sign = sort.direction === 'ascending' ? 1 : -1;
  return records
    .map((record, at) => ({ record, at, value: sortValue(record, sort.column) }))
    .sort((a, b) => {
      if (a.value === null || b.value === null) return a.value === b.value ? a.at - b.at : a.value === null ? 1 : -1;
      return sign * (a.value - b.value) || a.at - b.at;
    })
    .map((r) => r.record);
}

/** One row of the table: the record, whether it is the best, and each cell's text. */
export interface SweepRow {
  readonly record: TrialRecord;
  readonly best: boolean;
  /** `#3`. */
  readonly trial: string;
  /** One per swept key, in the plan's key order. */
  readonly settings: readonly string[];
  readonly algo: string;
  readonly seed: string;
  /** `6.8 s`, `25.7 s (in 12.9–25.7)` when the evaluations bracket the crossing by more than 10%, `not reached`. */
  readonly trainTarget: string;
  readonly wallTarget: string;
  readonly accuracy: string;
  readonly wall: string;
  /** Why the trial ended, or its failure. */
  readonly status: string;
}

/** The table's rows for `records`, in `sort`'s order, the best trial marked; `target` null: no times to target (`–`). */
export function sweepRows(keys: readonly SweepKey[], records: readonly TrialRecord[], sort: SweepSort, target: number | null): SweepRow[] {
  const best = bestTrial(records);
  return sortRecords(records, sort).map((r): SweepRow => {
    const s = r.summary;
    const timed = s !== null && target !== null;
    return {
      record: r,
      best: r === best,
      trial: `#${r.index + 1}`,
      settings: keys.map((k) => {
        const v = r.settings[k];
        return v === undefined ? '–' : formatAxisValue(k, v);
      }),
      algo: r.algo,
      seed: String(r.seed),
      trainTarget: timed ? trainTimeCell([s]).text : '–',
      wallTarget: timed ? wallTimeCell([s]) : '–',
      accuracy: s ? percent(s.finalAccuracy) : '–',
      wall: s ? seconds(s.wallMs) : '–',
      status: s ? stoppedByText(s.stoppedBy) + (s.cutShort ? ' (cut short)' : '') : `failed: ${r.failure ?? 'unknown'}`,
    };
  });
}
