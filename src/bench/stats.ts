/**
 * Several seeds of one benchmark row, summarised: the median with the range
 * beside it, `6.8 s (6.1–7.4)`. One seed prints as the value alone. Pure:
 * the terminal tables and the Markdown report share it.
 */
import { percent, seconds } from '../core/format';

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values: give at least one.');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const upper = sorted[mid] ?? Number.NaN;
  return sorted.length % 2 === 1 ? upper : ((sorted[mid - 1] ?? Number.NaN) + upper) / 2;
}

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export function spread(values: readonly number[]): Spread {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

/**
 * How a value prints: `full` with its unit (the median), `bare` without (the
 * range beside it shares the median's unit: `6.8 s (6.1–7.4)`).
 */
export interface ValueFormat {
  full(value: number): string;
  bare(value: number): string;
}

/** Milliseconds as seconds: `6.8 s`. */
export const SECONDS: ValueFormat = { full: (ms) => seconds(ms), bare: (ms) => (ms / 1000).toFixed(1) };
/** Milliseconds as seconds, for a column whose header names the unit (`train s`). */
export const BARE_SECONDS: ValueFormat = { full: (ms) => (ms / 1000).toFixed(1), bare: (ms) => (ms / 1000).toFixed(1) };
/** Milliseconds, for a column whose header names the unit (`step ms`). */
export const MILLISECONDS: ValueFormat = { full: (ms) => ms.toFixed(1), bare: (ms) => ms.toFixed(1) };
/** An accuracy, two decimals: `86.12%`. */
export const ACCURACY: ValueFormat = { full: (f) => percent(f, 2), bare: (f) => (f * 100).toFixed(2) };
/** Bits per character, three decimals: `2.134`. */
export const BITS: ValueFormat = { full: (b) => b.toFixed(3), bare: (b) => b.toFixed(3) };
/** A share, one decimal: `30.0%`. */
export const SHARE: ValueFormat = { full: (f) => percent(f), bare: (f) => (f * 100).toFixed(1) };
/** A count; a median between two counts keeps its half: `10.5`. */
export const COUNT: ValueFormat = { full: countText, bare: countText };
/** Epochs, two decimals. */
export const EPOCHS: ValueFormat = { full: (e) => e.toFixed(2), bare: (e) => e.toFixed(2) };

function countText(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

/**
 * `median (min–max)`; the value alone for one seed, or when every seed
 * prints the same (a range of one printed value says nothing).
 */
export function formatSpread(values: readonly number[], format: ValueFormat, empty = '-'): string {
  if (values.length === 0) return empty;
  const s = spread(values);
  const min = format.bare(s.min);
  const max = format.bare(s.max);
  return min === max ? format.full(s.median) : `${format.full(s.median)} (${min}–${max})`;
}

/** The non-null values, for columns where a run may have none (no final evaluation). */
export function present(values: readonly (number | null)[]): number[] {
  return values.filter((v): v is number => v !== null);
}

/** `part / whole`, or null when nothing was measured (no NaN% in a table). */
export function ratioOf(part: number, whole: number): number | null {
  return whole > 0 ? part / whole : null;
}

/** `target 2, time 1`: each distinct value with its count, or the value alone when all agree. */
export function countsOf(values: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  if (counts.size <= 1) return values[0] ?? '-';
  return [...counts].map(([v, n]) => `${v} ${n}`).join(', ');
}

/** A group is never empty: its first item names it. */
export type Group<T> = [T, ...T[]];

/** Items grouped by `key`, groups in the order their first item appears. */
export function groupBy<T, K>(items: readonly T[], key: (item: T) => K): [K, Group<T>][] {
  const groups = new Map<K, Group<T>>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return [...groups];
}
