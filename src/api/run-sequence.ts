/**
 * Runs one after another: the page's Start and Run all, `npm run bench`'s
 * algorithms and the paper suite's variants all go through `runSequence`;
 * the page and `window.tandem` continue a saved run through `resumeSaved`.
 * No DOM and no Node APIs: the page and the Node benchmark both import it,
 * and its tests run in Node with fake runners.
 */
import type { RunConfig } from '../core/config';
import { asError } from '../core/errors';

/** How one started run of a sequence ended. A run that never started has no step. */
export type StepOutcome<R> = { readonly kind: 'result'; readonly result: R } | { readonly kind: 'error'; readonly error: Error };

export interface SequenceStep<T, R> {
  readonly item: T;
  /** Position of `item` in the list given to runSequence. */
  readonly index: number;
  readonly outcome: StepOutcome<R>;
}

/** A run that rejected, with what it was running. */
export interface SequenceFailure<T> {
  readonly item: T;
  readonly index: number;
  readonly error: Error;
}

/**
 * Why a sequence ended: every item ran (`completed`), the signal was aborted
 * before an item could start (`cancelled`), or a run rejected under
 * `stopOnFailure` (`failed`).
 */
export type SequenceEnd = 'completed' | 'cancelled' | 'failed';

export interface SequenceReport<T, R> {
  /** Every run that started, in order. */
  readonly steps: readonly SequenceStep<T, R>[];
  /** The values of the runs that resolved, in order. */
  readonly results: readonly R[];
  readonly failures: readonly SequenceFailure<T>[];
  readonly ended: SequenceEnd;
}

/** Structurally an AbortSignal; only `aborted` is read, so a plain object serves in tests. */
export interface CancelSignal {
  readonly aborted: boolean;
}

export interface SequenceOptions<T, R> {
  /** Read before each run: once aborted, no further run starts. A run in progress is the caller's to stop. */
  readonly signal?: CancelSignal;
  /**
   * True: a rejected run ends the sequence (the page: a failed run is a
   * reason to look before running the next). False (default): the next run
   * starts and the failure is reported (the benchmark: collect what works).
   */
  readonly stopOnFailure?: boolean;
  /**
   * Awaited after a run when another will start, never after the last or
   * once cancelled: the benchmark replaces a page its previous run left
   * unusable. What it throws rejects the sequence.
   */
  readonly between?: (previous: SequenceStep<T, R>, next: T) => void | Promise<void>;
}

/**
 * Runs `runOne` on each item in order, one at a time. A rejected run is
 * recorded (as an Error, whatever was thrown), not rethrown; the returned
 * promise rejects only when `between` throws.
 */
export async function runSequence<T, R>(
  items: readonly T[],
  runOne: (item: T, index: number) => Promise<R>,
  options: SequenceOptions<T, R> = {},
): Promise<SequenceReport<T, R>> {
  const steps: SequenceStep<T, R>[] = [];
  const results: R[] = [];
  const failures: SequenceFailure<T>[] = [];
  const report = (ended: SequenceEnd): SequenceReport<T, R> => ({ steps, results, failures, ended });
  for (const [index, item] of items.entries()) {
    const previous = steps.at(-1);
    if (options.signal?.aborted) return report('cancelled');
    if (previous) {
      await options.between?.(previous, item);
      // The hook may take long (a new browser page): a cancel during it counts.
      if (options.signal?.aborted) return report('cancelled');
    }
    let outcome: StepOutcome<R>;
    try {
      outcome = { kind: 'result', result: await runOne(item, index) };
      results.push(outcome.result);
    } catch (error) {
      outcome = { kind: 'error', error: asError(error) };
      failures.push({ item, index, error: outcome.error });
    }
    steps.push({ item, index, outcome });
    if (outcome.kind === 'error' && options.stopOnFailure === true) return report('failed');
  }
  return report('completed');
}

/** `resumeSaved` found nothing to resume. */
export class NoSavedRunError extends Error {
  override readonly name = 'NoSavedRunError';
  constructor() {
    super('No run is saved in this browser.');
  }
}

/** What `resumeSaved` needs; a Checkpoint is a SavedRun. */
export interface ResumeDeps<S extends SavedRun, R> {
  /** The saved run, or null when there is none (src/checkpoint/store.ts's loadCheckpoint on the page). */
  readonly load: () => Promise<S | null>;
  /** The page's config store: the controls and the URL show the resumed run's config. */
  readonly store: { set(config: Partial<RunConfig>): unknown };
  /** Continues `saved` (the engine's `run(config, saved)`). */
  readonly run: (config: RunConfig, saved: S) => Promise<R>;
}

export interface SavedRun {
  readonly config: RunConfig;
}

/**
 * Loads the saved run, puts its config in the store, then runs it. Throws
 * NoSavedRunError when nothing is saved; a config the store refuses
 * (ConfigError) stops it before the run starts.
 */
export async function resumeSaved<S extends SavedRun, R>(deps: ResumeDeps<S, R>): Promise<R> {
  const saved = await deps.load();
  if (!saved) throw new NoSavedRunError();
  deps.store.set(saved.config);
  return deps.run(saved.config, saved);
}
