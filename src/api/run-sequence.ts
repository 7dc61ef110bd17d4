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
  /**
   * The save `key` names, or the newest save with no key; null when nothing
   * is saved (SaveStore.load on the page). Throws when what it names is damaged.
   */
  readonly load: (key?: string) => Promise<S | null>;
  /**
   * Throws when `saved` would be refused (an engine that is busy, a
   * checkpoint that does not fit its model and dataset): called before the
   * store is touched.
   */
  readonly check?: (saved: S) => void;
  /** The page's config store: the controls and the URL show the resumed run's config. */
  readonly store: { get(): RunConfig; set(config: Partial<RunConfig>): unknown };
  /** Continues `saved` (the engine's `run(config, saved)`). */
  readonly run: (config: RunConfig, saved: S) => Promise<R>;
  /**
   * True once the engine has begun the run (announced its start). A run
   * that rejects before then was refused, and the store gets its config
   * back; one that fails later keeps the run's config on show. Without it,
   * every rejection counts as a refusal.
   */
  readonly started?: () => boolean;
}

export interface SavedRun {
  readonly config: RunConfig;
}

/**
 * Loads the save `key` names (the newest without one), checks it, puts its
 * config in the store, then runs it. Throws NoSavedRunError when nothing is
 * saved; a refusal (`check`, a config the store refuses, a run rejected
 * before it began) leaves the store's config as it was.
 */
export async function resumeSaved<S extends SavedRun, R>(deps: ResumeDeps<S, R>, key?: string): Promise<R> {
  const saved = await deps.load(key);
  if (!saved) throw new NoSavedRunError();
  deps.check?.(saved);
  const before = deps.store.get();
  deps.store.set(saved.config);
  try {
    return await deps.run(saved.config, saved);
  } catch (e) {
    if (!(deps.started?.() ?? false)) deps.store.set(before);
    throw e;
  }
}
