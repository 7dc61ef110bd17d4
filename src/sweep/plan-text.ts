/**
 * A sweep's axes as text, read and written the same way on the command line
 * (`--grid tauFast=8,16,32`, `--random learningRate=0.01:0.2:log`) and in the
 * page's URL: `key=v1,v2,...` for a grid (`;` separates values that hold
 * commas themselves: `workers=wasm:2;webgpu:1,wasm:2`), `key=lo:hi` or
 * `key=lo:hi:log` for a random range. How one value's text becomes a config
 * value is the caller's (its own field names in its errors); the syntax,
 * the key names and what may be swept are here.
 */
import { CONFIG_KEYS, isIntegerKey, type RunConfig } from '../core/config';
import { parseDecimal } from '../core/config-checks';
import { clip, quote } from '../core/errors';
import { NOT_SWEPT, SweepPlanError, formatAxisValue, type AxisValue, type GridAxis, type RandomAxis, type SweepKey } from './plan';

/** Reads one value of `key`; throws an error naming the field, the value and what is allowed. */
export type ValueReader = (key: SweepKey, text: string) => AxisValue;

export const GRID_EXAMPLE = 'tauFast=8,16,32';
export const RANDOM_EXAMPLE = 'learningRate=0.01:0.2:log';

/** `tau-fast` -> `tauFast`; a config key as it is. */
export function camel(name: string): string {
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** The config key `name` (or its flag spelling) names, refused with the reason when it cannot be swept. */
export function sweepKey(field: string, name: string): SweepKey {
  const key = camel(name.trim());
  if (!(CONFIG_KEYS as string[]).includes(key)) {
    throw new SweepPlanError(field, `${field}: ${quote(name)} is not a config key. Keys: ${CONFIG_KEYS.filter((k) => !Object.hasOwn(NOT_SWEPT, k)).join(', ')}.`);
  }
  if (Object.hasOwn(NOT_SWEPT, key)) throw new SweepPlanError(field, `${field}: ${key} cannot be swept: ${NOT_SWEPT[key as keyof typeof NOT_SWEPT]}.`);
  return key as SweepKey;
}

function split(field: string, text: string, example: string): [string, string] {
  const at = text.indexOf('=');
  if (at <= 0 || at === text.length - 1) {
    throw new SweepPlanError(field, `${field} ${quote(text)}: expected KEY=VALUES, e.g. ${example}.`);
  }
  return [text.slice(0, at), text.slice(at + 1)];
}

/** `key=v1,v2,...` (or `;`-separated): each value read by `read`, so it is checked as the key's own field would check it. */
export function parseGridAxis(field: string, text: string, read: ValueReader): GridAxis {
  const [name, list] = split(field, text, GRID_EXAMPLE);
  const key = sweepKey(field, name);
  const parts = (list.includes(';') ? list.split(';') : list.split(',')).map((p) => p.trim());
  if (parts.some((p) => p === '')) throw new SweepPlanError(field, `${field} ${quote(text)}: an empty value; separate values with commas (or ; when they hold commas).`);
  return { key, values: parts.map((p) => read(key, p)) };
}

/**
 * `key=lo:hi` or `key=lo:hi:log`, for a numeric key: both bounds read by
 * `read` (so they are values the key allows) and drawn between; integer keys
 * draw integers.
 */
export function parseRandomAxis(field: string, text: string, read: ValueReader): RandomAxis {
  const [name, range] = split(field, text, RANDOM_EXAMPLE);
  const key = sweepKey(field, name);
  const parts = range.split(':').map((p) => p.trim());
  const scale = parts.length === 3 && parts[2] === 'log' ? 'log' : parts.length === 2 ? 'linear' : null;
  if (scale === null) throw new SweepPlanError(field, `${field} ${quote(text)}: expected KEY=LOW:HIGH or KEY=LOW:HIGH:log, e.g. ${RANDOM_EXAMPLE}.`);
  const [lo, hi] = [parts[0] ?? '', parts[1] ?? ''].map((p) => {
    if (parseDecimal(p) === null) throw new SweepPlanError(field, `${field} ${quote(text)}: ${quote(p)} is not a number; a random range is for numeric keys.`);
    const value = read(key, p);
    if (typeof value !== 'number') throw new SweepPlanError(field, `${field}: ${key} is not numeric; give its values as a grid.`);
    return value;
  }) as [number, number];
  if (!(lo < hi)) throw new SweepPlanError(field, `${field} ${quote(text)}: the low bound ${lo} must be below the high bound ${hi}.`);
  if (scale === 'log' && lo <= 0) throw new SweepPlanError(field, `${field} ${quote(text)}: a log range must be above 0.`);
  return { key, lo, hi, scale, integer: isIntegerKey(key as keyof RunConfig) };
}

/** The inverse of parseGridAxis for values the URL and the config agree on. */
export function formatGridAxis(axis: GridAxis): string {
  const texts = axis.values.map((v) => formatAxisValue(axis.key, v));
  return `${axis.key}=${texts.join(texts.some((t) => t.includes(',')) ? ';' : ',')}`;
}

export function formatRandomAxis(axis: RandomAxis): string {
  return `${axis.key}=${axis.lo}:${axis.hi}${axis.scale === 'log' ? ':log' : ''}`;
}

/** `1,2,3` -> [1, 2, 3]: distinct non-negative integers (seeds). */
export function parseSeedList(field: string, text: string): number[] {
  const seeds = text.split(',').map((p) => {
    const n = parseDecimal(p.trim());
    if (n === null || !Number.isInteger(n) || n < 0 || n > 2 ** 32 - 1) {
      throw new SweepPlanError(field, `${field} ${quote(clip(text))}: each seed must be an integer from 0 to 4294967295, comma-separated.`);
    }
    return n;
  });
  if (new Set(seeds).size !== seeds.length) throw new SweepPlanError(field, `${field} ${quote(clip(text))}: each seed once.`);
  return seeds;
}
