import { describe, expect, it } from 'vitest';
import type { TrialRecord, TrialSummary } from '../sweep/records';
import { PLAN_ORDER, nextSort, sortRecords, sweepRows, type SweepSort } from './sweep-rows';

/** A trial record with the figures the table reads; null summary: a failed trial. */
function record(index: number, s: Partial<TrialSummary> | null, settings: TrialRecord['settings'] = { tauFast: 8 * (index + 1) }): TrialRecord {
  const summary: TrialSummary | null =
    s === null
      ? null
      : {
          timeToTargetMs: null,
          targetAfterMs: null,
          wallTimeToTargetMs: null,
          finalAccuracy: null,
          finalLoss: null,
          trainMs: 1000,
          wallMs: 2000,
          evalShare: 0.1,
          rounds: 2,
          epochsDone: 0.1,
          cutShort: false,
          stoppedBy: 'rounds',
          trained: 'wasm:1',
          emulated: false,
          ...s,
        };
  return { id: `t${index}`, index, algo: 'biased', seed: 1, settings, setting: index, attempts: 1, where: null, summary, failure: s === null ? 'the worker was lost' : null, result: null };
}

const records = [
  record(0, { timeToTargetMs: 5000, targetAfterMs: 4800, wallTimeToTargetMs: 7000, finalAccuracy: 0.8, wallMs: 9000, stoppedBy: 'target' }),
  record(1, { finalAccuracy: 0.7, wallMs: 3000 }),
  record(2, null),
  record(3, { timeToTargetMs: 4000, targetAfterMs: 2000, wallTimeToTargetMs: 8000, finalAccuracy: 0.75, wallMs: 12000, stoppedBy: 'target' }),
  record(4, { finalAccuracy: 0.7, wallMs: 3000 }),
];
const order = (sort: SweepSort) => sortRecords(records, sort).map((r) => r.index);

describe('the sweep results table', () => {
  it('sorts by each column, stably, with missing values last in both directions', () => {
    expect(order(PLAN_ORDER)).toEqual([0, 1, 2, 3, 4]);
    expect(order({ column: 'trial', direction: 'descending' })).toEqual([4, 3, 2, 1, 0]);
    expect(order({ column: 'trainTarget', direction: 'ascending' })).toEqual([3, 0, 1, 2, 4]);
    expect(order({ column: 'trainTarget', direction: 'descending' })).toEqual([0, 3, 1, 2, 4]);
    expect(order({ column: 'wallTarget', direction: 'ascending' })).toEqual([0, 3, 1, 2, 4]);
    // Trials 1 and 4 tie: they keep their order whichever way.
    expect(order({ column: 'accuracy', direction: 'descending' })).toEqual([0, 3, 1, 4, 2]);
    expect(order({ column: 'accuracy', direction: 'ascending' })).toEqual([1, 4, 3, 0, 2]);
    expect(order({ column: 'wall', direction: 'ascending' })).toEqual([1, 4, 0, 3, 2]);
  });

  it('sorts a new column best first, and the same column the other way', () => {
    expect(nextSort(PLAN_ORDER, 'trainTarget')).toEqual({ column: 'trainTarget', direction: 'ascending' });
    expect(nextSort(PLAN_ORDER, 'accuracy')).toEqual({ column: 'accuracy', direction: 'descending' });
    expect(nextSort({ column: 'accuracy', direction: 'descending' }, 'accuracy')).toEqual({ column: 'accuracy', direction: 'ascending' });
    expect(nextSort(PLAN_ORDER, 'trial')).toEqual({ column: 'trial', direction: 'descending' });
  });

  it('marks the best trial (fastest to the target on the training clock) whatever the order, and writes each cell', () => {
    const rows = sweepRows(['tauFast'], records, { column: 'wall', direction: 'descending' }, 0.8);
    expect(rows.filter((r) => r.best).map((r) => r.record.index)).toEqual([3]);
    const byIndex = new Map(rows.map((r) => [r.record.index, r]));
    expect(byIndex.get(3)).toMatchObject({
      trial: '#4',
      settings: ['32'],
      algo: 'biased',
      seed: '1',
      // The evaluation before the crossing was 50% earlier: the interval is given.
      trainTarget: '4.0 s (in 2.0–4.0)',
      wallTarget: '8.0 s',
      accuracy: '75.0%',
      wall: '12.0 s',
      status: 'target accuracy reached',
    });
    // Within 10%: the time alone.
    expect(byIndex.get(0)?.trainTarget).toBe('5.0 s');
    expect(byIndex.get(1)).toMatchObject({ trainTarget: 'not reached', wallTarget: 'not reached', status: 'round limit reached' });
    expect(byIndex.get(2)).toMatchObject({ trainTarget: '–', accuracy: '–', wall: '–', status: 'failed: the worker was lost' });
    // Without a target there is no time to it.
    expect(sweepRows(['tauFast'], records, PLAN_ORDER, null)[1]?.trainTarget).toBe('–');
  });

  it('marks the most accurate trial when none reached the target, and none when every trial failed', () => {
    const missed = [record(0, { finalAccuracy: 0.6 }), record(1, { finalAccuracy: 0.65 }), record(2, null)];
    expect(sweepRows(['tauFast'], missed, PLAN_ORDER, 0.9).map((r) => r.best)).toEqual([false, true, false]);
    expect(sweepRows(['tauFast'], [record(0, null)], PLAN_ORDER, 0.9).map((r) => r.best)).toEqual([false]);
  });

  it('writes a swept pool as the URL does', () => {
    const rows = sweepRows(['workers'], [record(0, {}, { workers: [{ backend: 'wasm', count: 2 }] })], PLAN_ORDER, null);
    expect(rows[0]?.settings).toEqual(['wasm:2']);
  });
});
