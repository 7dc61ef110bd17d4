/**
 * The pool control's pure side: what `workers: auto` starts on this machine,
 * the per-backend counts the spinbuttons show, and the summary under them.
 * No DOM, so Node tests cover it; ConfigForm draws it.
 */
import type { PoolFound } from '../backends/capabilities';
import { resolveWorkers, type RunConfig, type WorkerGroup, type WorkerSpec } from '../core/config';
import { POOL_BACKENDS } from './fields';

/**
 * Leaving auto before the machine is known: one wasm worker, the one backend
 * that starts wherever the page does (it falls back to cpu without SIMD).
 */
const BEFORE_DETECTION: readonly WorkerGroup[] = [{ backend: 'wasm', count: 1 }];


/** The groups `spec` starts: an explicit pool as it is; auto once the machine is known, else null. */
export function startedPool(spec: WorkerSpec, found: PoolFound | null): WorkerGroup[] | null {
  if (spec !== 'auto') return spec.map((g) => ({ ...g }));
  return found ? resolveWorkers('auto', found) : null;
}

/** The explicit pool that unticking Auto gives: what auto would start, so nothing moves until a count is changed. */
export function explicitFromAuto(found: PoolFound | null): WorkerGroup[] {
  return startedPool('auto', found) ?? BEFORE_DETECTION.map((g) => ({ ...g }));
}

/** Workers per backend, in POOL_BACKENDS order (the spinbuttons' order); groups of one backend are added up. */
export function poolCounts(groups: readonly WorkerGroup[]): number[] {
  return POOL_BACKENDS.map((backend) => groups.filter((g) => g.backend === backend).reduce((n, g) => n + g.count, 0));
}

/** `webgpu:1, wasm:2`: the flag form, spaced for a sentence. */
function groupsText(groups: readonly WorkerGroup[]): string {
  return groups.map((g) => `${g.backend}:${g.count}`).join(', ');
}

/** The sentence under the pool control: what the chosen pool starts here and who decides who trains. */
export function poolSummary(config: Pick<RunConfig, 'workers' | 'parking'>, found: PoolFound | null): string {
  const parking = config.parking === 'auto' ? 'parking decides who trains' : 'parking is off, so every worker trains';
  if (config.workers === 'auto') {
    const started = startedPool('auto', found);
    return started
      ? `auto: ${groupsText(started)} on this machine; ${parking}.`
      : `auto: one webgpu worker if this browser has an adapter and one wasm worker per logical core (detecting…); ${parking}.`;
  }
  const total = config.workers.reduce((n, g) => n + g.count, 0);
  // One worker trains alone whatever parking says.
  const who = total > 1 ? `; ${parking}` : '';
  return `${total} worker${total === 1 ? '' : 's'}, started in this order: ${config.workers.map((g) => `${g.backend}:${g.count}`).join(',')}${who}.`;
}
