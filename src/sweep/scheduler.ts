/**
 * Hands a sweep's trials to browsers: each free browser takes the next trial
 * in plan order; a browser that dies or disconnects mid-trial is dropped and
 * its trial goes back to the front of the queue for another browser, at most
 * `retries` times. A trial that ran and failed (the run rejected, a page
 * error) is a result, not retried: running it again would fail the same way.
 * No browser or Node APIs: the runners are the caller's, fakes in the tests.
 */
import { messageOf } from '../core/errors';
import type { Trial } from './plan';
import { failedRecord, type TrialRecord } from './records';

/** Thrown by a runner whose browser went away during a trial: the trial is re-queued, the runner dropped. */
export class BrowserLost extends Error {
  override readonly name = 'BrowserLost';
}

export interface TrialRunner {
  /** `local 1`, or a browser server's endpoint. */
  readonly name: string;
  /** Runs one trial (attempt from 1); resolves its record, finished or failed; rejects BrowserLost when the browser is gone. */
  run(trial: Trial, attempt: number): Promise<TrialRecord>;
}

export interface SchedulerEvents {
  started(trial: Trial, runner: string, attempt: number): void;
  finished(record: TrialRecord, runner: string): void;
  /** The browser was lost during `trial`; `requeued`: false when the trial has used its retries (it is then recorded failed). */
  lost(trial: Trial, runner: string, reason: string, requeued: boolean): void;
}

export interface ScheduleOptions {
  /** Re-runs of a trial after its browser was lost (0: none). */
  retries: number;
  /** Read before each trial: once aborted, no trial starts (those running finish). */
  signal?: { readonly aborted: boolean };
  events?: Partial<SchedulerEvents>;
}

export interface ScheduleReport {
  /** One per trial that finished or failed, in the order they ended. */
  records: TrialRecord[];
  /** Trials never finished: the sweep was stopped, or no browser was left. */
  notRun: Trial[];
  /** Runners dropped because their browser was lost, with why. */
  lostRunners: { name: string; reason: string }[];
}

interface Pending {
  trial: Trial;
  /** Attempts so far. */
  attempts: number;
}

export async function runTrials(trials: readonly Trial[], runners: readonly TrialRunner[], options: ScheduleOptions): Promise<ScheduleReport> {
  const queue: Pending[] = trials.map((trial) => ({ trial, attempts: 0 }));
  const records: TrialRecord[] = [];
  const lostRunners: ScheduleReport['lostRunners'] = [];
  const events = options.events ?? {};
  let inFlight = 0;
  // Woken whenever a trial ends or is re-queued: an idle runner waits on it while others may still hand work back.
  let wake: () => void = () => undefined;
  let changed = new Promise<void>((resolve) => (wake = resolve));
  const notify = (): void => {
    const resolve = wake;
    changed = new Promise<void>((r) => (wake = r));
    resolve();
  };

  async function serve(runner: TrialRunner): Promise<void> {
    for (;;) {
      if (options.signal?.aborted) return;
      const next = queue.shift();
      if (next === undefined) {
        if (inFlight === 0) return;
        await changed;
        continue;
      }
      next.attempts += 1;
      inFlight += 1;
      events.started?.(next.trial, runner.name, next.attempts);
      try {
        const record = await runner.run(next.trial, next.attempts);
        records.push(record);
        events.finished?.(record, runner.name);
      } catch (error) {
        const reason = messageOf(error);
        if (error instanceof BrowserLost) {
          const requeued = next.attempts <= options.retries;
          if (requeued) queue.unshift(next);
          else records.push(failedRecord(next.trial, `its browser was lost ${next.attempts} time(s) (--retries ${options.retries}); last: ${reason}`, null, next.attempts));
          events.lost?.(next.trial, runner.name, reason, requeued);
          lostRunners.push({ name: runner.name, reason });
          return;
        }
        const record = failedRecord(next.trial, `the runner failed: ${reason}`, null, next.attempts);
        records.push(record);
        events.finished?.(record, runner.name);
      } finally {
        inFlight -= 1;
        notify();
      }
    }
  }

  await Promise.all(runners.map((r) => serve(r)));
  return { records, notRun: queue.map((p) => p.trial), lostRunners };
}
