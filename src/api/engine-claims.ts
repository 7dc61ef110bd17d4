/**
 * Who holds the engine across a sequence of runs. Between a sweep's trials,
 * or between the runs of the page's Run all, the engine is idle but not
 * free: a run started there would make the sequence's next run fail. Each
 * sequence registers a claim here, and every starter asks before it starts.
 */
import { RunStateError } from '../orchestrator/run-state-error';

interface Claim {
  readonly active: () => boolean;
  /** What holds the engine, for the refusal: `a sweep is running`. */
  readonly doing: string;
  /** What the caller can do about it: `end it (endSweep or stop) first.` */
  readonly advice: string;
}

export class EngineClaims {
  private readonly claims: Claim[] = [];

  /** Registers a sequence whose `active()` says when it holds the engine; the first registered is named first. */
  add(active: () => boolean, doing: string, advice: string): void {
    this.claims.push({ active, doing, advice });
  }

  /** True while any registered sequence holds the engine. */
  get held(): boolean {
    return this.claims.some((c) => c.active());
  }

  /** Throws a RunStateError naming the sequence that holds the engine, if one does: `Cannot WHAT while DOING; ADVICE`. */
  assertFree(what: string): void {
    const claim = this.claims.find((c) => c.active());
    if (claim) throw new RunStateError(`Cannot ${what} while ${claim.doing}; ${claim.advice}`);
  }
}
