import { describe, expect, it } from 'vitest';
import { fakeRun } from './run-fixture';
import {
  bestFinished,
  censoredMedian,
  comparisonCell,
  comparisonText,
  compareTimes,
  cutShortNote,
  finalAccuracyCell,
  formatTimeToTarget,
  medianRun,
  resolutionOf,
  stepTimeText,
  trainTimeCell,
  wallTimeCell,
} from './run-summary';

describe('time to target over seeds', () => {
  it('ranks a run that did not reach the target after every time', () => {
    expect(censoredMedian([6100, null, 7400])).toBe(7400);
    expect(censoredMedian([6100, null])).toBeNull();
    expect(censoredMedian([null, null, 5000])).toBeNull();
    expect(censoredMedian([])).toBeNull();
  });

  it('prints median (min–max), says how many seeds reached it, and the value alone for one seed', () => {
    expect(formatTimeToTarget([6100, 6800, 7400])).toBe('6.8 s (6.1–7.4)');
    expect(formatTimeToTarget([6800])).toBe('6.8 s');
    expect(formatTimeToTarget([6100, null, 7400])).toBe('7.4 s (6.1–not reached; 2/3 reached)');
    expect(formatTimeToTarget([6100, null, null])).toBe('not reached (6.1–not reached; 1/3 reached)');
    expect(formatTimeToTarget([null, null, null])).toBe('not reached (0/3)');
    expect(formatTimeToTarget([null])).toBe('not reached');
  });

  it('prints the wall clock the same way', () => {
    expect(wallTimeCell([{ wallTimeToTargetMs: 7100 }, { wallTimeToTargetMs: 8400 }, { wallTimeToTargetMs: 7800 }])).toBe('7.8 s (7.1–8.4)');
  });
});

describe('resolution of the time to target', () => {
  it('is the interval (previous evaluation, reaching evaluation] relative to the time shown', () => {
    expect(resolutionOf({ timeToTargetMs: 25_700, targetAfterMs: 12_850 })).toBeCloseTo(0.5);
    expect(resolutionOf({ timeToTargetMs: 2000, targetAfterMs: 0 })).toBe(1);
    expect(resolutionOf({ timeToTargetMs: null, targetAfterMs: null })).toBeNull();
  });

  it('prints the interval for one seed once it is wider than 10% of the time', () => {
    expect(trainTimeCell([{ timeToTargetMs: 25_700, targetAfterMs: 12_900 }])).toEqual({ text: '25.7 s (in 12.9–25.7)', loose: null });
    expect(trainTimeCell([{ timeToTargetMs: 25_700, targetAfterMs: 23_200 }])).toEqual({ text: '25.7 s', loose: null });
    expect(trainTimeCell([{ timeToTargetMs: null, targetAfterMs: null }])).toEqual({ text: 'not reached', loose: null });
  });

  it('over seeds marks the cell and gives the widest relative interval', () => {
    const cell = trainTimeCell([
      { timeToTargetMs: 10_000, targetAfterMs: 9_500 },
      { timeToTargetMs: 12_000, targetAfterMs: 3_000 },
      { timeToTargetMs: null, targetAfterMs: null },
    ]);
    expect(cell.text).toBe('12.0 s (10.0–not reached; 2/3 reached) †');
    expect(cell.loose).toBeCloseTo(0.75);
  });
});

describe('compareTimes', () => {
  it('gives the ratio of the medians when the seed ranges are apart', () => {
    const c = compareTimes([2000, 2100, 2200], [5000, 5500, 6000]);
    expect(c).toEqual({ kind: 'faster', ratio: 5500 / 2100 });
    expect(comparisonCell(c)).toBe('2.62x');
    // One seed each: the ranges are points.
    expect(compareTimes([2000], [5000])).toEqual({ kind: 'faster', ratio: 2.5 });
  });

  it('calls overlapping ranges a tie, whatever the medians say', () => {
    const c = compareTimes([6100, 6800, 7400], [6500, 8000, 9000]);
    expect(c.kind).toBe('tie');
    expect(comparisonCell(c)).toBe('tie');
    expect(comparisonText(c)).toBe("tie (the seeds' ranges overlap; medians 1.18x)");
    // Touching ranges overlap too.
    expect(compareTimes([1000, 2000], [2000, 3000]).kind).toBe('tie');
  });

  it('gives no ratio when either missed the target in some seed', () => {
    const c = compareTimes([1000, 1100, 1200], [9000, null, 9500]);
    expect(c).toEqual({ kind: 'incomplete', reached: '3/3', otherReached: '2/3' });
    expect(comparisonCell(c)).toBe('3/3 vs 2/3 reached');
    expect(comparisonText(c)).toBe('not compared: the target was reached in 3/3 vs 2/3 runs');
    expect(compareTimes([null], [null]).kind).toBe('incomplete');
  });
});

describe('runs cut short of their epochs', () => {
  const cut = fakeRun('sync', 25_700, { cutShort: true, epochsDone: 0.26, stoppedBy: 'time', finalAccuracy: 0.8371 });
  const finished = fakeRun('biased', 1800, { finalAccuracy: 0.8709 });

  it('are marked with the epoch they stopped at and why', () => {
    expect(cutShortNote([cut])).toBe('cut at 0.26 epoch (time cap)');
    expect(cutShortNote([finished])).toBeNull();
    expect(cutShortNote([cut, { ...cut, epochsDone: 0.3, stoppedBy: 'user' }])).toBe('cut at 0.28 (0.26–0.30) epoch (time cap 1, stopped 1)');
  });

  it('print their accuracy beside the mark, never as the final accuracy', () => {
    expect(finalAccuracyCell([cut])).toBe('83.71%, cut at 0.26 epoch (time cap)');
    expect(finalAccuracyCell([finished])).toBe('87.09%');
    expect(finalAccuracyCell([finished, cut, { ...finished, finalAccuracy: 0.8711 }])).toBe(
      '87.10% (87.09–87.11) (2/3 finished); 1 cut at 0.26 epoch (time cap): 83.71%',
    );
  });

  it('are left out of the best final accuracy and named', () => {
    const best = bestFinished([
      ['sync', [{ ...cut, finalAccuracy: 0.99 }]],
      ['biased', [finished]],
      ['fast-only', [{ ...finished, finalAccuracy: 0.8675 }]],
    ]);
    expect(best).toEqual({ best: { name: 'biased', accuracy: 0.8709 }, cut: ['sync'] });
    expect(bestFinished([['sync', [cut]]])).toEqual({ best: null, cut: ['sync'] });
  });
});

describe('medianRun', () => {
  it('picks the run in the middle by time to target, not reached last', () => {
    const [middle, never, first] = [fakeRun('biased', 3000), fakeRun('biased', null), fakeRun('biased', 1000)];
    expect(medianRun([middle, never, first])).toBe(middle);
    expect(medianRun([never, first])).toBe(first);
    expect(medianRun([])).toBeNull();
  });
});

describe('stepTimeText', () => {
  it('gives the measured step time, and the time without the emulated wait beside it', () => {
    expect(stepTimeText({ stepMs: 11.26, measuredStepMs: 11.26, slowdown: 1 })).toBe('11.3 ms');
    expect(stepTimeText({ stepMs: 62.8, measuredStepMs: 16.3, slowdown: 4 })).toBe('62.8 ms (x4 emulated; 16.3 ms without the wait)');
  });
});
