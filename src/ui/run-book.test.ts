import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type Algo } from '../core/config';
import type { RoundEvent, RunResult } from '../protocol';
import { RunBook } from './run-book';

function result(algo: Algo): RunResult {
  return {
    algo,
    config: { ...DEFAULT_CONFIG, algo },
    workers: [],
    rounds: 1,
    wallMs: 1000,
    trainMs: 800,
    evalMs: 200,
    wholeTestSet: null,
    profileMs: 0,
    aggregateMs: 1,
    exchangeMs: 1,
    timeToTargetMs: null,
    targetAfterMs: null,
    wallTimeToTargetMs: null,
    epochsDone: 1,
    cutShort: false,
    finalAccuracy: 0.5,
    finalLoss: null,
    aggregation: 'steps',
    emulated: false,
    roundsPerEpoch: 10,
    stoppedBy: 'rounds',
    message: null,
    history: [],
  };
}

const history: RoundEvent[] = [];

describe('RunBook', () => {
  it('numbers the runs and makes the started one live', () => {
    const book = new RunBook();
    const first = book.begin({ ...DEFAULT_CONFIG, algo: 'sync' }, history);
    expect(first.n).toBe(1);
    expect(book.live).toBe(first);
    expect(book.begin(null, history).n).toBe(2);
  });

  it('gives the live run the result that arrives in phase done, once', () => {
    const book = new RunBook();
    const live = book.begin(null, history);
    const r = result('local');
    const record = book.recordOf(r, 'done');
    expect(record).toBe(live);
    expect(live.result).toBe(r);
    // A script's run has no config until its result brings one.
    expect(live.config?.algo).toBe('local');
    expect(book.recordOf(r, 'idle')).toBe(live);
  });

  it('keeps the config the page started the run with', () => {
    const book = new RunBook();
    const live = book.begin({ ...DEFAULT_CONFIG, algo: 'sync', tauFast: 8 }, history);
    book.recordOf(result('sync'), 'done');
    expect(live.config?.tauFast).toBe(8);
  });

  it('gives a result met outside phase done a record of its own', () => {
    const book = new RunBook();
    const live = book.begin(null, history);
    const r = result('biased');
    const record = book.recordOf(r, 'training');
    expect(record).not.toBe(live);
    expect(record).toMatchObject({ n: 2, result: r, events: [], error: null });
    expect(record.config?.algo).toBe('biased');
    expect(live.result).toBeNull();
  });

  it('does not hand a finished live run a second result', () => {
    const book = new RunBook();
    const live = book.begin(null, history);
    book.recordOf(result('sync'), 'done');
    const other = book.recordOf(result('local'), 'done');
    expect(other).not.toBe(live);
    expect(other.n).toBe(2);
  });

  it('takes the live run off the charts on clearLive, keeping its record', () => {
    const book = new RunBook();
    const live = book.begin(null, history);
    const r = result('sync');
    book.recordOf(r, 'done');
    book.clearLive();
    expect(book.live).toBeNull();
    expect(book.recordOf(r, 'idle')).toBe(live);
  });

  it('gives a known run’s number without making a record for an unknown one', () => {
    const book = new RunBook();
    book.begin(null, history);
    const r = result('sync');
    expect(book.numberOf(r)).toBeNull();
    book.recordOf(r, 'done');
    expect(book.numberOf(r)).toBe(1);
    expect(book.numberOf(result('local'))).toBeNull();
    expect(book.recordOf(result('local'), 'idle').n).toBe(2);
  });
});
