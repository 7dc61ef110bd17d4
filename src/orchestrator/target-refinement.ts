/**
 * Narrowing a time to target after the fact. Between evaluations the run
 * keeps theta_bar as each round left it (RoundSnapshots). When the whole test
 * set confirms a crossing whose interval (the evaluation before it, the
 * crossing] is wider than targetResolution asks, the kept models inside the
 * interval are evaluated by bisection under the same rule as any evaluation
 * (the subset first, the whole set to confirm), until the interval is narrow
 * enough or no kept model is left inside it.
 *
 * So the evaluation cadence may be coarse where no crossing is near
 * (targetWindow) without making a time to target loose: resolution is bought
 * with a few evaluations once, at the crossing, instead of an evaluation
 * every tenth of the time all along.
 */

/** theta_bar at a round's end, on the training clock. */
export interface Snapshot {
  trainMs: number;
  theta: Float32Array;
}

/**
 * The most memory the kept models may take: about 1,800 CNN models, 60 of
 * ResNet-20's. Past it every second one is dropped and from then on only
 * every second round is kept, so the kept ones still span the interval
 * evenly (bisection then stops a round or two coarser).
 */
export const SNAPSHOT_BYTES = 64 * 1024 * 1024;

/** The round-end models since the last evaluation, oldest first. */
export class RoundSnapshots {
  private kept: Snapshot[] = [];
  /** Keep one round in this many (doubles each time memory runs out). */
  private stride = 1;
  /** Rounds offered since the last one kept. */
  private since = 0;

  constructor(private readonly maxBytes = SNAPSHOT_BYTES) {}

  /** Keeps a copy of `theta` as it stands at training clock `trainMs` (or passes, when thinned to every stride-th round). */
  record(trainMs: number, theta: Float32Array): void {
    this.since++;
    if (this.kept.length > 0 && this.since < this.stride) return;
    this.since = 0;
    this.kept.push({ trainMs, theta: theta.slice() });
    if (this.kept.length > 1 && this.bytes() > this.maxBytes) {
      const n = this.kept.length;
      // Counted from the newest, so the newest stays.
      this.kept = this.kept.filter((_, i) => (n - 1 - i) % 2 === 0);
      this.stride *= 2;
    }
  }

  /** The kept models strictly inside (afterMs, atMs), oldest first. */
  inside(afterMs: number, atMs: number): Snapshot[] {
    return this.kept.filter((s) => s.trainMs > afterMs && s.trainMs < atMs);
  }

  /** An evaluation has been made: what came before it is no longer needed. */
  clear(): void {
    this.kept = [];
    this.stride = 1;
    this.since = 0;
  }

  get size(): number {
    return this.kept.length;
  }

  private bytes(): number {
    return this.kept.reduce((sum, s) => sum + s.theta.byteLength, 0);
  }
}

/** One evaluation a bisection made: at a kept model's time, whether the target was confirmed there. */
export interface BisectionStep {
  index: number;
  reached: boolean;
}

/**
 * Bisects a crossing in (afterMs, atMs] over candidate times strictly inside
 * it (ascending). `reaches(i)` evaluates candidate i. Stops once
 * atMs - afterMs <= resolution x atMs (resolution 0: when no candidate is
 * left inside). Returns the narrowed interval and the steps in order.
 * Accuracy need not rise monotonically: the result is still an evaluated
 * confirmation with an evaluated miss before it and no evaluation between.
 */
export async function bisectCrossing(
  times: readonly number[],
  afterMs: number,
  atMs: number,
  resolution: number,
  reaches: (index: number) => Promise<boolean>,
): Promise<{ afterMs: number; atMs: number; steps: BisectionStep[] }> {
  let lo = afterMs;
  let hi = atMs;
  let from = 0;
  let to = times.length; // candidates are times[from..to)
  const steps: BisectionStep[] = [];
  const wide = (): boolean => hi - lo > resolution * hi;
  while (from < to && wide()) {
    const mid = (from + to) >> 1;
    const reached = await reaches(mid);
    steps.push({ index: mid, reached });
    const t = times[mid] as number;
    if (reached) {
      hi = t;
      to = mid;
    } else {
      lo = t;
      from = mid + 1;
    }
  }
  return { afterMs: lo, atMs: hi, steps };
}
