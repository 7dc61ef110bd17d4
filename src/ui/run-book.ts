/**
 * The page's runs as RunRecords: the live one, built from the engine's
 * events, and one per finished result in the archive, numbered #1, #2, … in
 * the order the page met them. Pure (no DOM), tested in Node.
 */
import type { RunConfig } from '../core/config';
import type { RoundEvent, RunPhase, RunResult } from '../protocol';
import type { RunRecord } from './run-data';

export class RunBook {
  /** The run on the live charts: running, or the last one until Reset. */
  live: RunRecord | null = null;
  private count = 0;
  private readonly records = new WeakMap<RunResult, RunRecord>();

  /**
   * A run starts: it becomes the live run. `config` is null for a run the
   * page did not start (a script's), whose config comes with its result;
   * `history` is a resumed run's rounds so far.
   */
  begin(config: RunConfig | null, history: RoundEvent[]): RunRecord {
    this.live = { n: ++this.count, config, events: history, workers: [], result: null, error: null };
    return this.live;
  }

  /** Takes the live run off the charts (Reset); the finished runs keep their records. */
  clearLive(): void {
    this.live = null;
  }

  /** The page's number of a finished run it has a record of, or null; unlike recordOf, never makes a record. */
  numberOf(result: RunResult): number | null {
    return this.records.get(result)?.n ?? null;
  }

  /**
   * The record of a finished `result`. While the engine is in phase 'done'
   * an unknown result is the live run's: the archive hears of it before the
   * page's own 'done' handler. Any other unknown result (one the page saw no
   * events for) gets a record of its own, with a number and its config.
   */
  recordOf(result: RunResult, phase: RunPhase): RunRecord {
    const known = this.records.get(result);
    if (known) return known;
    let record: RunRecord;
    if (this.live && !this.live.result && phase === 'done') {
      record = this.live;
      record.result = result;
      record.config ??= result.config;
    } else {
      record = { n: ++this.count, config: result.config, events: [], workers: [], result, error: null };
    }
    this.records.set(result, record);
    return record;
  }
}
