/**
 * The page's sweep: its trials run back to back through runSequence, one
 * engine run each, and their records kept until cleared or the next sweep.
 * One session per page, shared by the Sweep panel and `window.tandem`
 * (as the config store and the run archive are), so a script's sweep shows
 * in the panel and the panel's is in `tandem.sweepResults()`. The page
 * follows each trial's run through the engine's events like any run. No DOM:
 * tested in Node with a fake run.
 */
import { DEFAULT_CONFIG, validateConfig, ConfigError, type RunConfig } from '../core/config';
import { fieldKeyOf } from '../core/config-checks';
import { messageOf } from '../core/errors';
import { RunStateError } from '../orchestrator/run-state-error';
import type { RunResult } from '../protocol';
import type { EngineClaims } from './engine-claims';
import { MAX_SWEEP_KEYS, SweepPlanError, checkPlan, expandTrials, trialConfig, type SweepPlan, type Trial } from '../sweep/plan';
import { SWEEP_FILE_KIND, failedRecord, finishedRecord, type SweepFile, type TrialWhere } from '../sweep/records';
import { runSequence } from './run-sequence';

/** `idle`: no sweep (or cleared); `stopping`: ends when the current trial does; `done`: its results stay until cleared. */
export type SweepPhase = 'idle' | 'running' | 'stopping' | 'done';

export interface SweepSessionDeps {
  /** Runs one trial's config: the engine's run, which the page follows through its events. */
  readonly run: (config: RunConfig) => Promise<RunResult>;
  /** True while something else holds the engine (a run, Run all between its runs): a sweep then is refused. */
  readonly busy: () => boolean;
  /** Where the trials run; asked once per sweep. */
  readonly where: () => Promise<TrialWhere>;
  /** The engine's other sequences (the page's Run all): the sweep registers its own claim and asks theirs before it starts. */
  readonly claims?: EngineClaims;
  /** A clock in ms, for the trials' durations (performance.now on the page). */
  readonly now: () => number;
}

/** The trial running now, with its place in the sweep and the config it runs. */
export interface CurrentTrial {
  readonly trial: Trial;
  readonly config: RunConfig;
  readonly total: number;
}

/** What the panel draws and the progress line says. */
export interface SweepSnapshot {
  readonly phase: SweepPhase;
  /** The sweep so far (its plan and base, and every trial that ended); null when idle. */
  readonly file: SweepFile | null;
  readonly total: number;
  readonly current: CurrentTrial | null;
  /** Wall time of each trial that ended, in order, ms: the time left is estimated from these. */
  readonly durationsMs: readonly number[];
  /** A finished sweep: every trial ran (`completed`), or it was ended after a trial (`ended`). */
  readonly ended: 'completed' | 'ended' | null;
}

/**
 * Every trial's full config, checked before the first runs: a combination
 * the validator refuses (a swept dModel that heads no longer divides) is
 * named by its trial instead of failing halfway through the sweep.
 */
function trialConfigs(plan: SweepPlan, base: Readonly<RunConfig>): { trials: Trial[]; configs: RunConfig[] } {
  checkPlan(plan, MAX_SWEEP_KEYS);
  const trials = expandTrials(plan);
  const configs = trials.map((trial) => {
    try {
      return validateConfig(trialConfig(base, trial), DEFAULT_CONFIG);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      const key = fieldKeyOf(e.key);
      const field = Object.hasOwn(trial.settings, key) ? key : `trial ${trial.index + 1}`;
      throw new SweepPlanError(field, `Trial ${trial.index + 1} (${trial.id}) cannot run: ${e.message}`);
    }
  });
  return { trials, configs };
}

export class SweepSession {
  private phase: SweepPhase = 'idle';
  private file: SweepFile | null = null;
  private total = 0;
  private current: CurrentTrial | null = null;
  private durations: number[] = [];
  private ended: SweepSnapshot['ended'] = null;
  private stop: AbortController | null = null;
  private readonly listeners = new Set<(snapshot: SweepSnapshot) => void>();

  constructor(private readonly deps: SweepSessionDeps) {
    deps.claims?.add(() => this.running, 'a sweep is running', 'end it (endSweep or stop) first.');
  }

  /** A sweep is under way: between its trials too. */
  get running(): boolean {
    return this.phase === 'running' || this.phase === 'stopping';
  }

  /** The trial whose run the engine is on, or null. */
  currentTrial(): CurrentTrial | null {
    return this.current;
  }

  snapshot(): SweepSnapshot {
    return { phase: this.phase, file: this.results(), total: this.total, current: this.current, durationsMs: this.durations.slice(), ended: this.ended };
  }

  /** The current or last sweep as its file (trials that ended so far), or null. */
  results(): SweepFile | null {
    return this.file ? { ...this.file, trials: this.file.trials.slice() } : null;
  }

  /**
   * Runs every trial of `plan` over `base`, one after another, and resolves
   * to the sweep's file once the last has ended (or the one running when
   * the sweep was ended). A failed trial is recorded and the next runs.
   * Refused before anything runs: a plan or a trial config that cannot
   * run (SweepPlanError naming the field), a sweep already running, an
   * engine busy with another run (RunStateError).
   */
  async start(plan: SweepPlan, base: Readonly<RunConfig>): Promise<SweepFile> {
    if (this.running) {
      throw new RunStateError(`A sweep is already running (${this.file?.trials.length ?? 0} of ${this.total} trials done); end it first.`);
    }
    this.deps.claims?.assertFree('start a sweep');
    if (this.deps.busy()) throw new RunStateError('A run is in progress; stop it or let it finish before starting a sweep.');
    const { trials, configs } = trialConfigs(plan, base);
    const stop = new AbortController();
    const file: SweepFile = {
      kind: SWEEP_FILE_KIND,
      version: 1,
      startedAt: new Date().toISOString(),
      plan,
      base: structuredClone(base),
      targetAccuracy: base.targetAccuracy,
      trials: [],
    };
    this.begin('running', file, trials.length);
    this.stop = stop;
    this.notify();
    try {
      let where: TrialWhere | null = null;
      try {
        where = await this.deps.where();
      } catch {
        // Where is a note in the files; a sweep does not fail for want of it.
      }
      const report = await runSequence(
        trials,
        async (trial, i) => {
          const config = configs[i] as RunConfig;
          this.current = { trial, config, total: trials.length };
          this.notify();
          const began = this.deps.now();
          try {
            const result = await this.deps.run(config);
            file.trials.push(finishedRecord(trial, result, where, 1));
            return result;
          } catch (e) {
            file.trials.push(failedRecord(trial, messageOf(e), where, 1));
            throw e;
          } finally {
            this.durations.push(this.deps.now() - began);
            this.current = null;
            this.notify();
          }
        },
        { signal: stop.signal },
      );
      this.ended = report.ended === 'completed' ? 'completed' : 'ended';
    } finally {
      this.phase = 'done';
      this.stop = null;
      this.ended ??= 'ended';
      this.notify();
    }
    return this.results() ?? file;
  }

  /** The sweep ends when the trial running now does (that trial is not stopped: the page's Stop does that). */
  stopAfterTrial(): void {
    if (!this.running || !this.stop) return;
    this.stop.abort();
    this.phase = 'stopping';
    this.notify();
  }

  /** Forgets the last sweep's results; refused while a sweep runs. */
  clear(): void {
    if (this.running) throw new RunStateError('A sweep is running; end it before clearing its results.');
    this.begin('idle', null, 0);
    this.notify();
  }

  private begin(phase: SweepPhase, file: SweepFile | null, total: number): void {
    this.phase = phase;
    this.file = file;
    this.total = total;
    this.current = null;
    this.durations = [];
    this.ended = null;
  }

  subscribe(listener: (snapshot: SweepSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(): void {
    const snapshot = this.snapshot();
    for (const listener of this.listeners) listener(snapshot);
  }
}
