/**
 * Losses as the page shows them. A loss can be missing: a diverged round's
 * loss is NaN, and a checkpoint's history is JSON, where NaN becomes null, so
 * a resumed run's events may hold `loss: null` despite their type. Pure, tested in Node.
 */
import type { RoundEvent } from '../protocol';

/** Shown for a loss that is NaN, infinite or missing. */
export const NO_LOSS = 'n/a';

/** `loss` with `digits` decimals, or NO_LOSS when there is no number to show. */
export function lossText(loss: number | null | undefined, digits = 3): string {
  return typeof loss === 'number' && Number.isFinite(loss) ? loss.toFixed(digits) : NO_LOSS;
}

/**
 * A resumed run's events as RoundEvent promises them: a loss that JSON
 * turned into null (or dropped) is NaN again, so code that formats it with
 * number methods cannot throw. Events already well typed are returned as they are.
 */
export function restoredEvents(events: readonly RoundEvent[]): RoundEvent[] {
  return events.map((e) => (typeof e.loss === 'number' ? e : { ...e, loss: Number.NaN }));
}
