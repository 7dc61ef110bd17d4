/**
 * Which workers the pool trains on, from measurement: a worker that the
 * others run faster without (it shares their cores, as a SwiftShader WebGPU
 * worker shares the WASM workers') is parked, kept started but not
 * training. Pure: the orchestrator runs the measurement windows
 * (orchestrator/pool-check.ts) and asks this what they mean.
 *
 * Useful throughput is training samples per second of the window, all
 * workers' samples over the window's wall time (the call to the last
 * worker's return), so a worker whose one step outlasts the window stretches it.
 */

/** One measurement window: who trained and what. */
export interface PoolWindow {
  workers: readonly { id: number; samples: number }[];
  wallMs: number;
}

/** Samples per second the window's workers trained together. */
export function throughputOf(window: PoolWindow): number {
  if (!(window.wallMs > 0)) throw new Error(`Invalid wallMs: ${window.wallMs}. Should be a time > 0 ms.`);
  return (window.workers.reduce((sum, w) => sum + w.samples, 0) / window.wallMs) * 1000;
}

/**
 * Workers worth measuring without, least contributing first: those whose own
 * share of the window's samples is below an equal share (1 / K). A worker
 * that does an equal share or more cannot leave the others that much faster
 * on shared cores, and measuring without each worker costs a window each.
 */
export function parkingCandidates(window: PoolWindow): number[] {
  const k = window.workers.length;
  if (k < 2) return [];
  const total = window.workers.reduce((sum, w) => sum + w.samples, 0);
  return window.workers
    .filter((w) => total === 0 || w.samples / total < 1 / k)
    .sort((a, b) => a.samples - b.samples || a.id - b.id)
    .map((w) => w.id);
}

/** What measuring the pool without one worker decided. */
export interface ParkingVerdict {
  id: number;
  park: boolean;
  /** Samples per second with it and without it. */
  withIt: number;
  without: number;
  /** Its own share of the samples with it in the pool. */
  share: number;
}

/**
 * How much faster the pool must train without a worker to park it: two
 * equal WASM workers on two cores measure within a few percent of one
 * alone, and without a margin that noise decided which to park.
 */
export const PARK_MARGIN = 0.1;

/** Park `id` when the pool trains more than PARK_MARGIN more samples per second without it. */
export function verdict(id: number, withIt: PoolWindow, without: PoolWindow): ParkingVerdict {
  const total = withIt.workers.reduce((sum, w) => sum + w.samples, 0);
  const own = withIt.workers.find((w) => w.id === id)?.samples ?? 0;
  const a = throughputOf(withIt);
  const b = throughputOf(without);
  return { id, park: b > a * (1 + PARK_MARGIN), withIt: a, without: b, share: total > 0 ? own / total : 0 };
}

/** For people: `worker 0 (webgpu) parked: the pool trains 2.4x the samples per second without it (4800 vs 2000/s); it did 1% of them`. */
export function describeVerdict(v: ParkingVerdict, backend: string): string {
  const ratio = v.withIt > 0 ? v.without / v.withIt : Number.POSITIVE_INFINITY;
  const rates = `${Math.round(v.without)} vs ${Math.round(v.withIt)} samples/s`;
  const share = `it did ${(v.share * 100).toFixed(v.share < 0.1 ? 1 : 0)}% of them`;
  if (v.park) return `worker ${v.id} (${backend}) parked: the pool trains ${ratio.toFixed(2)}x the samples per second without it (${rates}); ${share}`;
  if (v.without > v.withIt) {
    return `worker ${v.id} (${backend}) trains: the pool is only ${ratio.toFixed(2)}x as fast without it (${rates}), within the ${PARK_MARGIN * 100}% margin; ${share}`;
  }
  return `worker ${v.id} (${backend}) trains: the pool is faster with it (${Math.round(v.withIt)} vs ${Math.round(v.without)} samples/s without); ${share}`;
}
