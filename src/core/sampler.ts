/**
 * Loss-biased shard assignment, as the README's "How it works" describes it.
 * Shards are rebuilt once per reassignment period; each worker then reads its
 * shard in order, B samples per step.
 */
import type { BiasDirection, BiasPool } from './config';
import type { Rng } from './rng';

/** Who gets the high-loss samples; `none` is plain local SGD. */
export type SamplingBias = BiasDirection | 'none';

export interface ShardInput {
  /** Training samples N; sample indices are 0..n-1. */
  n: number;
  batchSize: number;
  /** Local steps per round, per worker. */
  taus: readonly number[];
  /** Rounds in this reassignment period. */
  rounds: number;
  /**
   * Per worker, samples beyond batchSize * taus[i] * rounds, from the uniform
   * stream (a biased worker's too: its loss-ranked quota is what lambda gives
   * its budget): room for a worker filling a round by time to read past its
   * budget; what it does not read goes back. Default none.
   */
  extra?: readonly number[];
  /** Per worker: draws from the high-loss selection instead of a uniform permutation. */
  biased: readonly boolean[];
  /** High-loss ratio in (0, 1]: the candidate pool is quota / lambda. 1 = no bias. */
  lambda: number;
  /** Global loss table, one entry per sample; +Infinity = not seen yet. */
  losses: Float32Array;
  /** Advanced, not forked: consecutive periods get different shards. */
  rng: Rng;
  /** Where the high-loss candidates come from (see BiasPool); default `all`, the authors' rule. */
  pool?: BiasPool;
  /**
   * The unbiased workers' permutation, carried from one rebuild to the next
   * so that frequent rebuilds still walk through the data without repeats;
   * without it each rebuild starts a fresh permutation.
   */
  stream?: UniformStream;
  /** Told when the candidate pool had to be smaller than quota / lambda (lambda then biases less than it says). */
  note?: (text: string) => void;
}

/**
 * A permutation of 0..n-1 and how much of it the unbiased workers have
 * taken, plus what they were given and did not train on (a round that ended
 * before their shard did: filled by time, stopped, ended at the target).
 */
export interface UniformStream {
  permutation: Int32Array | null;
  cursor: number;
  /** Given out and not trained on: served first by the next rebuild, so a pass still sees every sample once. */
  carry: Int32Array;
}

/** A stream that starts with a fresh permutation. */
export function uniformStream(): UniformStream {
  return { permutation: null, cursor: 0, carry: new Int32Array(0) };
}

/** Hands samples given out and not trained on back to the stream: they come first next time. */
export function giveBack(stream: UniformStream, unused: Int32Array): void {
  if (unused.length === 0) return;
  const carry = new Int32Array(stream.carry.length + unused.length);
  carry.set(stream.carry);
  carry.set(unused, stream.carry.length);
  stream.carry = carry;
}

/**
 * One shard per worker, of length batchSize * taus[i] * rounds (+ extra[i]):
 * the samples worker i consumes over the period, in order. A worker's extra
 * room is uniform samples after its share, biased or not.
 *
 * Biased workers share quota Q (the sum of their lengths): a uniform pool of
 * min(n, ceil(Q / lambda)) samples, its Q highest losses, shuffled, split in
 * worker order. With `pool: 'seen'` the pool is drawn from the samples that
 * have a recorded loss (all of them when fewer than Q / lambda are), and when
 * fewer than Q are seen the rest of the quota is unseen samples at random. If Q > n (roundsPerPeriod clamped to 1 on a small set, or a
 * caller's own round count), every sample is taken floor(Q / n) times and R = Q mod n more
 * are chosen as above (pool min(n, ceil(R / lambda)), top R), laid out as one
 * permutation (those R first) repeated. Every n-long window of that sequence
 * is a rotation of the permutation, so a shard of up to n samples never
 * repeats one and a longer shard repeats only epoch by epoch.
 *
 * Unbiased workers take consecutive slices of a uniform permutation of all n,
 * after what earlier shards gave out and got back (UniformStream.carry). A
 * slice that runs past the permutation's end goes on in a fresh one that puts
 * the slice's samples so far last, so a shard of up to n holds no repeats; a
 * shard longer than n is a fresh permutation repeated.
 */
export function buildShards(input: ShardInput): Int32Array[] {
  const { n, batchSize, taus, rounds, biased, lambda, losses, rng } = input;
  const note = input.note ?? (() => undefined);
  assertInteger('n', n, 1);
  assertInteger('batchSize', batchSize, 1);
  assertInteger('rounds', rounds, 1);
  if (taus.length === 0) {
    throw new Error('Invalid taus: []. Should hold one step budget per worker, at least one.');
  }
  taus.forEach((tau, i) => assertInteger(`taus[${i}]`, tau, 1));
  if (biased.length !== taus.length) {
    throw new Error(`Invalid biased: length ${biased.length}. Should match taus (length ${taus.length}).`);
  }
  if (!(lambda > 0 && lambda <= 1)) {
    throw new Error(`Invalid lambda: ${lambda}. Should be a number in (0, 1].`);
  }
  if (losses.length !== n) {
    throw new Error(`Invalid losses: length ${losses.length}. Should equal n = ${n}.`);
  }

  const extra = input.extra ?? taus.map(() => 0);
  extra.forEach((e, i) => assertInteger(`extra[${i}]`, e, 0));
  const lengths = taus.map((tau) => batchSize * tau * rounds);
  const shards: Int32Array[] = lengths.map((length, i) => new Int32Array(length + (extra[i] ?? 0)));

  let quota = 0;
  lengths.forEach((length, i) => {
    if (biased[i] === true) quota += length;
  });
  if (quota > 0) {
    const selection =
      input.pool === 'seen' && quota <= n ? seenSelection(quota, lambda, losses, rng, note) : biasedSelection(n, quota, lambda, losses, rng, note);
    let cursor = 0;
    lengths.forEach((length, i) => {
      if (biased[i] !== true) return;
      (shards[i] as Int32Array).set(selection.subarray(cursor, cursor + length));
      cursor += length;
    });
  }

  const stream = input.stream ?? uniformStream();
  shards.forEach((whole, i) => {
    // A biased worker's room beyond its quota is uniform, like an unbiased worker's whole shard.
    const shard = biased[i] === true ? whole.subarray(lengths[i]) : whole;
    const length = shard.length;
    if (length === 0) return;
    if (length > n) {
      fillCyclic(shard, rng.permutation(n));
      stream.permutation = null;
      stream.carry = new Int32Array(0);
      return;
    }
    let filled = Math.min(length, stream.carry.length);
    shard.set(stream.carry.subarray(0, filled));
    stream.carry = stream.carry.subarray(filled);
    if (stream.permutation !== null && stream.permutation.length !== n) stream.permutation = null;
    // The pass's tail first, then a fresh pass; every sample of this shard so far is from the old pass,
    // so the fresh one puts them last: nothing repeats within the shard.
    while (filled < length) {
      if (stream.permutation === null || stream.cursor >= n) {
        stream.permutation = afterThese(rng.permutation(n), shard.subarray(0, filled));
        stream.cursor = 0;
      }
      const take = Math.min(length - filled, n - stream.cursor);
      shard.set(stream.permutation.subarray(stream.cursor, stream.cursor + take), filled);
      stream.cursor += take;
      filled += take;
    }
  });
  return shards;
}

/** `permutation` with the samples of `these` moved to its end, each part in its own order. */
function afterThese(permutation: Int32Array, these: Int32Array): Int32Array {
  if (these.length === 0) return permutation;
  const last = new Set(these);
  const first = permutation.filter((s) => !last.has(s));
  const out = new Int32Array(permutation.length);
  out.set(first);
  out.set(permutation.filter((s) => last.has(s)), first.length);
  return out;
}

/**
 * The biased quota Q from the samples with a recorded loss: a uniform pool of
 * ceil(Q / lambda) of them, its Q highest, shuffled. Unseen samples fill the
 * quota only while fewer than Q have been seen (the first round).
 */
function seenSelection(quota: number, lambda: number, losses: Float32Array, rng: Rng, note: (text: string) => void): Int32Array {
  const seen: number[] = [];
  const unseen: number[] = [];
  for (let sample = 0; sample < losses.length; sample++) (losses[sample] === Number.POSITIVE_INFINITY ? unseen : seen).push(sample);
  const wanted = Math.ceil(quota / lambda);
  if (seen.length > 0 && seen.length < wanted && seen.length >= quota) {
    note(`lambda ${lambda} asks for a pool of ${wanted} seen samples; ${seen.length} have a recorded loss, so the high-loss quota of ${quota} is the top of all of them`);
  }
  const seenAll = Int32Array.from(seen);
  const pool = seen.length <= wanted ? seenAll : pick(seenAll, wanted, rng);
  const hardest = rankByLoss(pool, losses, rng).subarray(0, Math.min(quota, pool.length));
  const selection = new Int32Array(quota);
  selection.set(hardest);
  if (hardest.length < quota) selection.set(pick(Int32Array.from(unseen), quota - hardest.length, rng), hardest.length);
  return rng.shuffle(selection);
}

/** k entries of `from` chosen uniformly without replacement. */
function pick(from: Int32Array, k: number, rng: Rng): Int32Array {
  return Int32Array.from(rng.sampleWithoutReplacement(from.length, k), (i) => from[i] as number);
}

/** The biased workers' Q samples in consumption order (see buildShards). */
function biasedSelection(n: number, quota: number, lambda: number, losses: Float32Array, rng: Rng, note: (text: string) => void): Int32Array {
  // Beyond full passes over all n, only the remainder is chosen by loss, from
  // its own pool, so lambda = 1 stays unbiased even when Q > n.
  const chosen = quota <= n ? quota : quota % n;
  const wanted = Math.ceil(chosen / lambda);
  if (wanted > n && lambda < 1) {
    note(`lambda ${lambda} asks for a pool of ${wanted} samples of ${n}, so the high-loss quota of ${chosen} is the global top ${chosen}`);
  }
  const pool = rng.sampleWithoutReplacement(n, Math.min(n, wanted));
  const hardest = rng.shuffle(rankByLoss(pool, losses, rng).slice(0, chosen));
  if (quota <= n) return hardest;
  const isHardest = new Uint8Array(n);
  for (const sample of hardest) isHardest[sample] = 1;
  const period = new Int32Array(n);
  period.set(hardest);
  let cursor = hardest.length;
  for (let sample = 0; sample < n; sample++) {
    if (isHardest[sample] === 0) period[cursor++] = sample;
  }
  rng.shuffle(period.subarray(hardest.length));
  const selection = new Int32Array(quota);
  fillCyclic(selection, period);
  return selection;
}

function fillCyclic(out: Int32Array, period: Int32Array): void {
  for (let start = 0; start < out.length; start += period.length) {
    out.set(period.subarray(0, Math.min(period.length, out.length - start)), start);
  }
}

/**
 * `pool` ordered by recorded loss, highest first; +Infinity (unseen) first of
 * all, NaN (a diverged forward pass) last. Ties are broken uniformly at random:
 * the pool is shuffled, then stably sorted. Exported for tests: the first Q
 * entries are the biased selection.
 */
export function rankByLoss(pool: Int32Array, losses: Float32Array, rng: Rng): Int32Array {
  const shuffled = rng.shuffle(pool.slice());
  const keys = new Float64Array(shuffled.length);
  shuffled.forEach((sample, i) => {
    if (sample < 0 || sample >= losses.length) {
      throw new Error(`Invalid pool[${i}]: ${sample}. Should be a sample index from 0 to ${losses.length - 1}.`);
    }
    const loss = losses[sample] as number;
    keys[i] = Number.isNaN(loss) ? -Infinity : loss;
  });
  const order = Array.from(shuffled.keys());
  // Position in the shuffled pool breaks ties, which keeps the sort stable by construction.
  order.sort((a, b) => {
    const ka = keys[a] as number;
    const kb = keys[b] as number;
    return ka === kb ? a - b : ka < kb ? 1 : -1;
  });
  return Int32Array.from(order, (i) => shuffled[i] as number);
}

/**
 * The k samples with the highest finite loss, highest first (ties: lower
 * index first), for display. Unseen (+Infinity) and NaN entries are skipped,
 * so fewer than k come back early in training.
 */
export function topLossIndices(losses: Float32Array, k: number): Int32Array {
  assertInteger('k', k, 0);
  // Min-heap of the best k so far; its root is the weakest kept sample.
  const heap: number[] = [];
  const weaker = (a: number, b: number): boolean => {
    const la = losses[a] as number;
    const lb = losses[b] as number;
    return la < lb || (la === lb && a > b);
  };
  const swap = (i: number, j: number): void => {
    const tmp = heap[i] as number;
    heap[i] = heap[j] as number;
    heap[j] = tmp;
  };
  const siftDown = (): void => {
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && weaker(heap[left] as number, heap[smallest] as number)) smallest = left;
      if (right < heap.length && weaker(heap[right] as number, heap[smallest] as number)) smallest = right;
      if (smallest === i) return;
      swap(i, smallest);
      i = smallest;
    }
  };
  if (k === 0) return new Int32Array(0);
  for (let sample = 0; sample < losses.length; sample++) {
    if (!Number.isFinite(losses[sample] as number)) continue;
    if (heap.length < k) {
      heap.push(sample);
      for (let i = heap.length - 1; i > 0; ) {
        const parent = (i - 1) >> 1;
        if (!weaker(heap[i] as number, heap[parent] as number)) break;
        swap(i, parent);
        i = parent;
      }
    } else if (weaker(heap[0] as number, sample)) {
      heap[0] = sample;
      siftDown();
    }
  }
  return Int32Array.from(heap.sort((a, b) => (weaker(a, b) ? 1 : weaker(b, a) ? -1 : 0)));
}

/**
 * Which of k workers draw from the high-loss selection. `slow`: all but the
 * fastest, so a single worker is never biased (it has no slow peers);
 * `fast`: the fastest only; `none`: nobody.
 */
export function selectBiasedWorkers(direction: SamplingBias, fastIndex: number, k: number): boolean[] {
  assertInteger('k', k, 1);
  if (!Number.isInteger(fastIndex) || fastIndex < 0 || fastIndex >= k) {
    throw new Error(`Invalid fastIndex: ${fastIndex}. Should be an integer from 0 to ${k - 1}.`);
  }
  switch (direction) {
    case 'slow':
      return Array.from({ length: k }, (_, i) => i !== fastIndex);
    case 'fast':
      return Array.from({ length: k }, (_, i) => i === fastIndex);
    case 'none':
      return new Array<boolean>(k).fill(false);
    default: {
      const never: never = direction;
      throw new Error(`Invalid bias direction: ${JSON.stringify(never)}. Should be one of: slow, fast, none.`);
    }
  }
}

function assertInteger(what: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`Invalid ${what}: ${value}. Should be an integer >= ${min}.`);
  }
}

/**
 * The `batch` sample indices at position `start` of a shard whose first
 * `stored` entries are held (`shard.subarray(0, stored)`), wrapping around:
 * a shard longer than the training set repeats with that period, so only
 * one period is stored (see orchestrator/shard-planner.ts).
 */
export function shardWindow(shard: Int32Array, stored: number, start: number, batch: number): Int32Array {
  if (!Number.isInteger(stored) || stored < 1 || stored > shard.length) {
    throw new Error(`Invalid stored: ${stored}. Should be an integer from 1 to the shard's ${shard.length} entries.`);
  }
  assertInteger('start', start, 0);
  assertInteger('batch', batch, 1);
  const from = start % stored;
  if (from + batch <= stored) return shard.subarray(from, from + batch);
  const out = new Int32Array(batch);
  for (let k = 0; k < batch; k++) out[k] = shard[(from + k) % stored] as number;
  return out;
}
