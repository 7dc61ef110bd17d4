import { describe, expect, it } from 'vitest';
import type { SweepSnapshot } from '../api/sweep-session';
import type { Trial } from '../sweep/plan';
import type { SweepFile, TrialRecord } from '../sweep/records';
import { timeLeftMs } from '../sweep/records';
import { durationText, progressText } from './sweep-progress';

const trial = (index: number): Trial => ({ id: `biased seed=1 tauFast=${8 << index}`, index, algo: 'biased', seed: 1, settings: { tauFast: 8 << index }, setting: index });
const record = (index: number, failed = false): TrialRecord =>
  ({ id: trial(index).id, index, summary: failed ? null : { finalAccuracy: 0.5 }, failure: failed ? 'lost' : null }) as unknown as TrialRecord;
const file = (records: TrialRecord[]): SweepFile => ({ trials: records }) as unknown as SweepFile;

function snapshot(s: Partial<SweepSnapshot>): SweepSnapshot {
  return { phase: 'running', file: file([]), total: 4, current: null, durationsMs: [], ended: null, ...s };
}

describe('the sweep’s progress line', () => {
  it('estimates the time left as the mean wall time of the trials that ended times the trials left', () => {
    expect(timeLeftMs([], 4)).toBeNull();
    expect(timeLeftMs([10_000, 20_000], 3)).toBe(45_000);
    expect(timeLeftMs([10_000], 0)).toBe(0);
  });

  it('writes durations for people', () => {
    expect(durationText(0)).toBe('0 s');
    expect(durationText(44_600)).toBe('45 s');
    expect(durationText(200_000)).toBe('3 min 20 s');
    expect(durationText(7_500_000)).toBe('2 h 5 min');
    // An hour's minutes are rounded as a whole: 1 h 59 min 30 s is 2 h 0 min, never 1 h 60 min.
    expect(durationText(7_170_000)).toBe('2 h 0 min');
  });

  it('says trials done of the total, the trial running and the time left', () => {
    const current = { trial: trial(0), config: {} as never, total: 4 };
    expect(progressText(snapshot({ current }))).toBe('0 of 4 trials done; trial 1 running: biased seed=1 tauFast=8. Time left: estimating…');
    expect(progressText(snapshot({ file: file([record(0), record(1, true)]), current: { ...current, trial: trial(2) }, durationsMs: [30_000, 10_000] }))).toBe(
      '2 of 4 trials done (1 failed); trial 3 running: biased seed=1 tauFast=32. Time left: about 40 s.',
    );
    expect(progressText(snapshot({ phase: 'stopping', file: file([record(0)]), current: { ...current, trial: trial(1) }, durationsMs: [5000] }))).toBe(
      '1 of 4 trials done; the sweep ends after trial 2 (biased seed=1 tauFast=16).',
    );
    expect(progressText(snapshot({ phase: 'done', ended: 'completed', total: 2, file: file([record(0), record(1)]), durationsMs: [60_000, 65_000] }))).toBe(
      'Sweep finished: 2 of 2 trials done in 2 min 5 s.',
    );
    expect(progressText(snapshot({ phase: 'done', ended: 'ended', total: 3, file: file([record(0)]), durationsMs: [5000] }))).toBe('Sweep ended after 1 of 3 trials, in 5 s.');
    expect(progressText(snapshot({ phase: 'idle', file: null, total: 0 }))).toBe('');
  });
});
