/**
 * Cells of the paper report that describe what ran rather than what was
 * asked: the tau the slowed worker really got, and each worker's measured
 * step time (emulation marked). Pure; over the runs of one variant, one per seed.
 */
import type { RunResult, WorkerSummary } from '../protocol';
import type { Variant } from './paper-suite';
import { stepTimeText } from './run-summary';
import { median, present } from './stats';

/** `9–11`, or `10` when every run agrees. */
function rangeText(values: readonly number[]): string {
  const min = Math.min(...values);
  const max = Math.max(...values);
  return min === max ? String(min) : `${min}–${max}`;
}

/**
 * The variant's label as what ran: `tau_S = 16 (ran 10)` where the setup
 * meant a tau for a worker (the measured speeds decide the tau), and ` *`
 * when any run emulated a slowdown.
 */
export function variantLabel(variant: Pick<Variant, 'label' | 'intendedTau'>, runs: readonly RunResult[]): string {
  let label = variant.label;
  const intended = variant.intendedTau;
  if (intended && runs.length > 0) {
    const taus = present(runs.map((r) => r.workers.find((w) => w.id === intended.worker)?.tau ?? null));
    label += taus.length > 0 ? ` (ran ${rangeText(taus)})` : ` (worker ${intended.worker} not in the result)`;
  }
  return runs.some((r) => r.emulated) ? `${label} *` : label;
}

/**
 * One worker over the runs of a variant: its tau (range over seeds; `fixed`
 * when budgets were not re-measured), its measured step time in the last
 * round (median over seeds, emulated wait marked, never a profiled
 * estimate) and its busy share.
 */
function workerText(id: number, runs: readonly RunResult[]): string {
  const seen = runs.flatMap((r) => r.workers.filter((w) => w.id === id).map((w) => ({ w, fixed: !r.config.adaptiveBudgets })));
  const first = seen[0];
  if (!first) return `${id}: -`;
  const of = (pick: (w: WorkerSummary) => number): number => median(seen.map((s) => pick(s.w)));
  const backend = first.w.requested === first.w.backend ? first.w.backend : `${first.w.backend} (asked ${first.w.requested})`;
  const tau = rangeText(seen.map((s) => s.w.tau)) + (seen.some((s) => s.fixed) ? ' (fixed)' : '');
  const step = stepTimeText({ stepMs: of((w) => w.stepMs), measuredStepMs: of((w) => w.measuredStepMs), slowdown: Math.max(...seen.map((s) => s.w.slowdown)) });
  const busy = of((w) => (w.busyMs + w.idleMs > 0 ? w.busyMs / (w.busyMs + w.idleMs) : 0));
  const left = seen.filter((s) => s.w.left !== null).length;
  return `${id} ${backend}: tau ${tau}, step ${step}, busy ${Math.round(busy * 100)}%${left > 0 ? `, left in ${left}/${seen.length}` : ''}`;
}

/** Every worker that took part in any run of the variant, by id. */
export function workersCell(runs: readonly RunResult[]): string {
  const ids = [...new Set(runs.flatMap((r) => r.workers.map((w) => w.id)))].sort((a, b) => a - b);
  return ids.map((id) => workerText(id, runs)).join('<br>');
}
