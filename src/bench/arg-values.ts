/**
 * The benchmark's flag values that are not config keys (the seeds, and the
 * run order they give), and the error every bad flag becomes. Kept apart from
 * args.ts, which maps the config keys to flags.
 */
import type { Algo } from '../core/config';
import { parseDecimal } from '../core/config-checks';
import { quote } from '../core/errors';

/** A bad command line: names the flag, the value given and what is allowed. */
export class BenchArgsError extends Error {
  override readonly name = 'BenchArgsError';
  constructor(
    readonly flag: string,
    readonly value: string | undefined,
    readonly allowed: string,
    message = `Invalid ${flag}: ${value === undefined ? '(no value)' : quote(value)}. Allowed: ${allowed}.`,
  ) {
    super(message);
  }
}

/** A flag's number, read by the same rule as a URL parameter's (parseDecimal: decimal only, no `0x10`). */
export function parseNumber(flag: string, value: string, allowed: string): number {
  const n = parseDecimal(value);
  if (n === null) throw new BenchArgsError(flag, value, allowed);
  return n;
}

/** More runs than this per algorithm is a typo, not a benchmark (each run takes minutes). */
export const MAX_SEEDS = 100;
/** The config's seed range (validateConfig: an integer from 0 to 2^32 - 1). */
const MAX_SEED = 2 ** 32 - 1;
const SEEDS_ALLOWED = `a comma-separated list of 1 to ${MAX_SEEDS} distinct integers from 0 to ${MAX_SEED}, e.g. 1,2,3`;

/**
 * --seeds and --repeat, each of which replaces the single seed: --seeds with
 * --repeat or --seed would leave one of them silently unused.
 */
export function parseSeedFlags(seeds: string | undefined, repeat: string | undefined, seedGiven: boolean, seed: number): number[] {
  if (seeds !== undefined && repeat !== undefined) {
    throw new BenchArgsError('--repeat', repeat, 'either --seeds or --repeat', `--repeat ${quote(repeat)} cannot be combined with --seeds: --seeds lists the seeds, --repeat N runs N seeds from --seed. Give one of them.`);
  }
  if (seeds !== undefined) {
    if (seedGiven) {
      throw new BenchArgsError('--seeds', seeds, 'either --seeds or --seed', `--seeds ${quote(seeds)} cannot be combined with --seed: --seeds lists every seed. Give one of them.`);
    }
    return parseSeedList(seeds);
  }
  if (repeat !== undefined) {
    const most = Math.min(MAX_SEEDS, MAX_SEED - seed + 1);
    const allowed = `an integer from 1 to ${most} (that many seeds from --seed ${seed} up)`;
    const n = parseNumber('--repeat', repeat, allowed);
    if (!Number.isInteger(n) || n < 1 || n > most) throw new BenchArgsError('--repeat', repeat, allowed);
    return Array.from({ length: n }, (_, i) => seed + i);
  }
  return [seed];
}

function parseSeedList(value: string): number[] {
  const seeds: number[] = [];
  for (const part of value.split(',')) {
    const text = part.trim();
    const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isInteger(n) || n > MAX_SEED || seeds.includes(n)) throw new BenchArgsError('--seeds', value, SEEDS_ALLOWED);
    seeds.push(n);
  }
  if (seeds.length > MAX_SEEDS) throw new BenchArgsError('--seeds', value, SEEDS_ALLOWED);
  return seeds;
}

/** One run of the benchmark. */
export interface BenchItem {
  algo: Algo;
  seed: number;
}

/**
 * Seed-major: every algorithm with seed 1, then every one with seed 2, ...
 * Slow drift over a long session (heat, other load on the machine) then
 * falls on every algorithm alike instead of on the last one's seeds, and a
 * Ctrl-C leaves whole comparisons for the seeds that finished. Within a seed
 * the order changes from seed to seed (balancedOrder), so no algorithm always
 * runs first or always runs after the same one.
 */
export function benchItems(algos: readonly Algo[], seeds: readonly number[]): BenchItem[] {
  return seeds.flatMap((seed, s) => balancedOrder(algos, s).map((algo) => ({ algo, seed })));
}

/**
 * Row `row` of a Williams design over `items`, relabelled so row 0 is
 * `items` as given: over n rows (2n for an odd n, every second cycle
 * reversed) each item runs first once and right after each other item once.
 * A run's place in the order costs it: a worker that sat idle through the
 * previous run (fast-only's benched one) steps slower at first, by about a
 * tenth here; turning the order alone would put the same neighbour before
 * each item every time.
 */
export function balancedOrder<T>(items: readonly T[], row: number): T[] {
  const n = items.length;
  if (n < 2) return [...items];
  // The design's first row, 0, 1, n-1, 2, n-2, ...; row r adds r to each entry (mod n).
  const first = Array.from({ length: n }, (_, j) => (j === 0 ? 0 : j % 2 === 1 ? (j + 1) / 2 : n - j / 2));
  // Entry e of the design stands for the item at e's place in the first row.
  const place = new Array<number>(n);
  first.forEach((e, j) => (place[e] = j));
  const cycle = n % 2 === 0 ? n : 2 * n;
  const r = ((row % cycle) + cycle) % cycle;
  const order = first.map((e) => items[place[(e + r) % n] as number] as T);
  return r >= n ? order.reverse() : order;
}
