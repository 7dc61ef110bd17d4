import { describe, expect, it } from 'vitest';
import { expandTrials, type Trial } from './plan';
import { failedRecord, type TrialRecord } from './records';
import { BrowserLost, runTrials, type TrialRunner } from './scheduler';

const trials = expandTrials({ grid: [{ key: 'tauFast', values: [8, 16, 32, 64] }], random: [], trials: 0, algos: ['biased'], seeds: [1], drawSeed: 1 });

/** A record standing for a finished trial (the scheduler never reads its summary). */
function done(trial: Trial, attempts: number, where: string): TrialRecord {
  return { ...failedRecord(trial, '', null, attempts), failure: null, where: { browser: where, userAgent: '', adapter: '', cores: 2 } };
}

/** A runner that takes `ms` per trial and loses its browser during its `dieOn`-th trial. */
function runner(name: string, ms: number, dieOn: number | null = null, log: string[] = []): TrialRunner {
  let count = 0;
  return {
    name,
    async run(trial, attempt) {
      count += 1;
      log.push(`${name}:${trial.index}`);
      await new Promise((r) => setTimeout(r, ms));
      if (count === dieOn) throw new BrowserLost(`${name} disconnected`);
      return done(trial, attempt, name);
    },
  };
}

describe('runTrials', () => {
  it('hands each trial to the next free browser and runs every trial once', async () => {
    const log: string[] = [];
    const report = await runTrials(trials, [runner('a', 5, null, log), runner('b', 12, null, log)], { retries: 1 });
    expect(report.records.map((r) => r.index).sort()).toEqual([0, 1, 2, 3]);
    expect(report.notRun).toEqual([]);
    expect(new Set(report.records.map((r) => r.where?.browser))).toEqual(new Set(['a', 'b']));
    expect(log).toHaveLength(4);
  });

  it('re-queues the trial of a browser lost mid-trial on another, and goes on without the lost one', async () => {
    const lost: string[] = [];
    const report = await runTrials(trials, [runner('a', 5), runner('b', 8, 1)], {
      retries: 1,
      events: { lost: (t, r, _why, requeued) => lost.push(`${r}:${t.index}:${requeued}`) },
    });
    expect(lost).toEqual(['b:1:true']);
    expect(report.records.map((r) => r.index).sort()).toEqual([0, 1, 2, 3]);
    const rerun = report.records.find((r) => r.index === 1);
    expect(rerun?.where?.browser).toBe('a');
    expect(rerun?.attempts).toBe(2);
    expect(report.lostRunners.map((r) => r.name)).toEqual(['b']);
    expect(report.records.every((r) => r.failure === null)).toBe(true);
  });

  it('a runner that finished waits while another may still hand a trial back', async () => {
    // b takes the last trial and dies late; a, idle by then, must pick it up.
    const one = trials.slice(0, 2);
    const report = await runTrials(one, [runner('a', 1), runner('b', 30, 1)], { retries: 2 });
    expect(report.records.map((r) => [r.index, r.where?.browser])).toEqual([
      [0, 'a'],
      [1, 'a'],
    ]);
  });

  it('records a trial failed once its browser was lost more than --retries times', async () => {
    const report = await runTrials(trials.slice(0, 1), [runner('a', 1, 1), runner('b', 1, 1)], { retries: 1 });
    expect(report.records).toHaveLength(1);
    expect(report.records[0]?.failure).toMatch(/lost 2 time\(s\) \(--retries 1\)/);
  });

  it('leaves trials not run when no browser is left, and a failed run is not retried', async () => {
    const failing: TrialRunner = { name: 'f', run: async (t, a) => ({ ...failedRecord(t, 'page error: boom', null, a) }) };
    const report = await runTrials(trials, [failing], { retries: 3 });
    expect(report.records.map((r) => r.attempts)).toEqual([1, 1, 1, 1]);
    const gone = await runTrials(trials, [runner('a', 1, 2)], { retries: 0 });
    expect(gone.records).toHaveLength(2);
    expect(gone.records[1]?.failure).toMatch(/lost/);
    expect(gone.notRun.map((t) => t.index)).toEqual([2, 3]);
  });

  it('starts no trial once stopped; the ones running finish', async () => {
    const signal = { aborted: false };
    const report = await runTrials(trials, [runner('a', 5)], {
      retries: 0,
      signal,
      events: { started: () => void (signal.aborted = true) },
    });
    expect(report.records.map((r) => r.index)).toEqual([0]);
    expect(report.notRun.map((t) => t.index)).toEqual([1, 2, 3]);
  });
});
