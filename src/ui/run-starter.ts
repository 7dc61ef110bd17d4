/**
 * What Start, Run all, Stop and "Resume saved run" do: each a sequence
 * through src/api/run-sequence, as the benchmark's runs are, and one at a
 * time. No DOM: it reports through its deps, so it is tested in Node with a
 * fake engine.
 */
import { resumeSaved, runSequence } from '../api/run-sequence';
import type { Checkpoint } from '../checkpoint/format';
import type { Algo, RunConfig } from '../core/config';
import { messageOf } from '../core/errors';
import type { RunResult } from '../protocol';

/** The part of the Engine that starts and stops runs. */
export interface RunEngine {
  run(config: RunConfig, resume: Checkpoint | null): Promise<RunResult>;
  stop(): void;
}

export interface RunStarterDeps {
  readonly engine: RunEngine;
  /** The page's config store: a resumed run's config goes into the controls and the URL. */
  readonly store: { get(): RunConfig; set(config: Partial<RunConfig>): unknown };
  /** The save `key` names (a run's newest), or the newest of any run without one; null when nothing is saved. */
  readonly loadSaved: (key?: string) => Promise<Checkpoint | null>;
  /** Throws when a save must not be resumed (it fails the checks an import passes); before the config is touched. */
  readonly checkSaved: (saved: Checkpoint) => void;
  /** True while a run holds the engine, whoever started it (a script's run included). */
  readonly engineBusy: () => boolean;
  /** The status line; `error` marks it as a failure. */
  readonly say: (text: string, error: boolean) => void;
  /** A sequence started or ended: the buttons may change. */
  readonly changed: () => void;
  /** A resume failed before it trained, which overwrites nothing: the saved run can be offered again. */
  readonly resumeFailed: () => Promise<void>;
}

/** A Start, Run all or resume in progress; `algos` is empty for a resume. */
interface Sequence {
  readonly algos: readonly Algo[];
  index: number;
  readonly stop: AbortController;
}

export class RunStarter {
  private sequence: Sequence | null = null;
  /** Config of the run about to start; a script's run gets its config from its result. */
  private pending: RunConfig | null = null;

  constructor(private readonly deps: RunStarterDeps) {}

  /** A sequence of the page's is under way, between its runs too. */
  get active(): boolean {
    return this.sequence !== null;
  }

  /** The config of the run the engine is announcing, if the page started it; asked once per run. */
  takePendingConfig(): RunConfig | null {
    const config = this.pending;
    this.pending = null;
    return config;
  }

  /** "Run all 2 of 3 (sync): " while Run all runs more than one algorithm; else empty. */
  prefix(): string {
    const s = this.sequence;
    if (!s || s.algos.length < 2) return '';
    return `Run all ${s.index + 1} of ${s.algos.length} (${s.algos[s.index] ?? ''}): `;
  }

  /** Start (one algorithm) or Run all: `base` with each algorithm in turn, until one fails or Stop. */
  async runAlgos(algos: readonly Algo[], base: RunConfig): Promise<void> {
    if (algos.length === 0 || this.busy()) return;
    const sequence = this.begin(algos);
    try {
      const report = await runSequence(
        algos,
        (algo, index) => {
          sequence.index = index;
          return this.start({ ...base, algo }, null);
        },
        { signal: sequence.stop.signal, stopOnFailure: true },
      );
      const failure = report.failures[0];
      if (failure) this.deps.say(`${this.prefix()}Run failed: ${messageOf(failure.error)}`, true);
    } finally {
      this.end();
    }
  }

  /**
   * Continues the run `key` names (the newest saved without one): its config
   * goes into the controls, its history onto the charts. A save that is
   * refused, or a run the engine refuses before it begins, leaves the
   * controls as they were.
   */
  async resumeSaved(key?: string): Promise<void> {
    if (this.busy()) return;
    this.begin([]);
    let failed = false;
    try {
      await resumeSaved(
        {
          load: this.deps.loadSaved,
          check: this.deps.checkSaved,
          store: this.deps.store,
          run: (config, saved) => this.start(config, saved),
          // The page takes the pending config when the engine announces the run: from then on it has begun.
          started: () => this.pending === null,
        },
        key,
      );
    } catch (e) {
      failed = true;
      this.deps.say(`The saved run could not go on: ${messageOf(e)}`, true);
    } finally {
      this.end();
    }
    if (failed) await this.deps.resumeFailed();
  }

  /** Stops the run in progress; a sequence starts no further run. */
  stop(): void {
    this.sequence?.stop.abort();
    this.deps.engine.stop();
  }

  private busy(): boolean {
    return this.deps.engineBusy() || this.sequence !== null;
  }

  private start(config: RunConfig, saved: Checkpoint | null): Promise<RunResult> {
    this.pending = config;
    return this.deps.engine.run(config, saved);
  }

  private begin(algos: readonly Algo[]): Sequence {
    const sequence: Sequence = { algos, index: 0, stop: new AbortController() };
    this.sequence = sequence;
    this.deps.changed();
    return sequence;
  }

  private end(): void {
    // A run that failed before the engine announced it never took its config.
    this.pending = null;
    this.sequence = null;
    this.deps.changed();
  }
}
