/**
 * Model averaging (local SGD rounds) and gradient averaging (sync SGD) over
 * flat Float32 slots. Sums run in float64: with tens of thousands of
 * parameters and several workers, float32 sums drift visibly over rounds.
 */
import type { AggregationMode } from './config';

export type { AggregationMode };

/** Elements summed per pass; bounds the float64 scratch buffer (32 KiB). */
const CHUNK = 4096;

/**
 * w_i for theta_bar = sum_i w_i * theta_i, summing to 1 over included
 * workers; excluded workers (e.g. one that left or published NaN) get 0.
 * `steps`: proportional to local steps (paper); `samples`: to samples
 * consumed (WP-SGD); `uniform`: equal.
 */
export function aggregationWeights(
  mode: AggregationMode,
  steps: readonly number[],
  samples: readonly number[],
  included?: readonly boolean[],
): Float64Array {
  const k = steps.length;
  if (samples.length !== k) {
    throw new Error(`Invalid samples: length ${samples.length}. Should match steps (length ${k}).`);
  }
  if (included !== undefined && included.length !== k) {
    throw new Error(`Invalid included: length ${included.length}. Should match steps (length ${k}).`);
  }
  const weights = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    if (included !== undefined && included[i] !== true) continue;
    weights[i] = rawWeight(mode, i, steps, samples);
  }
  let total = 0;
  for (const w of weights) total += w;
  if (total === 0) {
    const count = included === undefined ? k : included.filter((x) => x).length;
    throw new Error(
      count === 0
        ? `No worker to aggregate: ${k} workers, none included. At least one must be.`
        : `Nothing to aggregate in mode "${mode}": the ${count} included workers all have weight 0.`,
    );
  }
  for (let i = 0; i < k; i++) weights[i] = (weights[i] as number) / total;
  return weights;
}

function rawWeight(mode: AggregationMode, i: number, steps: readonly number[], samples: readonly number[]): number {
  switch (mode) {
    case 'steps':
      return checkedCount(`steps[${i}]`, steps[i]);
    case 'samples':
      return checkedCount(`samples[${i}]`, samples[i]);
    case 'uniform':
      return 1;
    default: {
      const never: never = mode;
      throw new Error(`Invalid aggregation mode: ${JSON.stringify(never)}. Should be one of: steps, samples, uniform.`);
    }
  }
}

function checkedCount(what: string, value: number | undefined): number {
  if (value === undefined || !Number.isFinite(value) || value < 0) {
    throw new Error(`Invalid ${what}: ${value}. Should be a finite number >= 0.`);
  }
  return value;
}

/**
 * out = sum_i weights[i] * slots[i]. Slots with weight 0 are skipped, so an
 * excluded worker's slot may hold anything, NaN included. `out` may be one of
 * the slots: each chunk is read from every slot before it is written.
 */
export function weightedAverageInto(out: Float32Array, slots: readonly Float32Array[], weights: Float64Array): void {
  if (slots.length !== weights.length) {
    throw new Error(`Invalid weights: length ${weights.length}. Should match slots (length ${slots.length}).`);
  }
  const active: number[] = [];
  weights.forEach((w, i) => {
    if (!Number.isFinite(w) || w < 0) {
      throw new Error(`Invalid weights[${i}]: ${w}. Should be a finite number >= 0.`);
    }
    if (w > 0) active.push(i);
  });
  if (active.length === 0) {
    throw new Error(`Invalid weights: all ${weights.length} are 0. At least one must be positive.`);
  }
  slots.forEach((slot, i) => {
    if (slot.length !== out.length) {
      throw new Error(`Invalid slots[${i}]: length ${slot.length}. Should equal out's length ${out.length}.`);
    }
  });
  const acc = new Float64Array(Math.min(CHUNK, out.length));
  for (let start = 0; start < out.length; start += CHUNK) {
    const end = Math.min(out.length, start + CHUNK);
    acc.fill(0);
    for (const i of active) {
      const slot = slots[i] as Float32Array;
      const w = weights[i] as number;
      for (let j = start; j < end; j++) acc[j - start] = (acc[j - start] as number) + w * (slot[j] as number);
    }
    for (let j = start; j < end; j++) out[j] = acc[j - start] as number;
  }
}

/** out = mean of slots: sync SGD's gradient average. */
export function averageInto(out: Float32Array, slots: readonly Float32Array[]): void {
  if (slots.length === 0) {
    throw new Error('Invalid slots: []. averageInto needs at least one slot.');
  }
  weightedAverageInto(out, slots, new Float64Array(slots.length).fill(1 / slots.length));
}
