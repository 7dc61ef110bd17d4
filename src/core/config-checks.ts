/**
 * The validator's building blocks: the error every bad value raises (it
 * names the key, the value and what is allowed), the checks config keys
 * are made of, and the one reading of a number typed as text (URL, flags).
 * No config knowledge here.
 */
import { clip, quote } from './errors';

/** A bad configuration value: names the key, the value and what is allowed. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly key: string,
    readonly value: unknown,
    readonly allowed: string,
    message = `Invalid ${clip(key)}: ${showValue(value)}. Allowed: ${allowed}.`,
  ) {
    super(message);
  }
}

/** The config key a ConfigError's key belongs to: `workers[1].count` belongs to `workers`. */
export function fieldKeyOf(errorKey: string): string {
  return errorKey.split(/[[.]/)[0] ?? errorKey;
}

/** A value as an error message repeats it: strings quoted, anything long cut (errors.ts clip). */
export function showValue(value: unknown): string {
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) {
    return String(value);
  }
  try {
    // undefined for functions and symbols.
    const text: string | undefined = JSON.stringify(value);
    return text === undefined ? String(value) : clip(text);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/**
 * The one rule for a number typed as text, in a URL parameter and in a flag
 * alike: decimal notation (a sign, digits, a fraction, an exponent), spaces
 * around it ignored. Number() would also take `0x10` (16), `0b1`, `0o7`, ''
 * and ' ' (0), which surprise more than they help.
 */
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** What parseDecimal accepts, for error messages. */
export const DECIMAL_SYNTAX = 'a decimal number';

/** The number `text` spells in decimal, or null when it is not one (see DECIMAL) or is not finite (1e999). */
export function parseDecimal(text: string): number | null {
  const t = text.trim();
  if (!DECIMAL.test(t)) return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

export type Check<T> = (key: string, value: unknown) => T;

export function oneOf<T extends string>(allowed: readonly T[]): Check<T> {
  return (key, value) => {
    if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
    throw new ConfigError(key, value, `one of ${allowed.join(', ')}`);
  };
}

/** Marks the checks that take whole numbers only, so a random sweep draws integers for them (integerValued). */
const INTEGER = Symbol('integer');

export function integer(min: number, max: number): Check<number> {
  const check: Check<number> = (key, value) => {
    if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
    throw new ConfigError(key, value, `an integer from ${min} to ${max}`);
  };
  return Object.assign(check, { [INTEGER]: true });
}

/** True for a check made by integer(), or nullable(integer()). */
export function integerValued(check: Check<unknown>): boolean {
  return INTEGER in check;
}

/** A finite number in (min, max], or [min, max] when minInclusive. */
export function real(min: number, max: number, minInclusive: boolean): Check<number> {
  return (key, value) => {
    if (
      typeof value === 'number' &&
      Number.isFinite(value) &&
      (minInclusive ? value >= min : value > min) &&
      value <= max
    ) {
      return value;
    }
    throw new ConfigError(key, value, `a number in ${minInclusive ? '[' : '('}${min}, ${max}]`);
  };
}

export function nullable<T>(check: Check<T>, allowed: string): Check<T | null> {
  const wrapped: Check<T | null> = (key, value) => {
    if (value === null) return null;
    try {
      return check(key, value);
    } catch {
      throw new ConfigError(key, value, `${allowed}, or null`);
    }
  };
  return integerValued(check) ? Object.assign(wrapped, { [INTEGER]: true }) : wrapped;
}

export const boolean: Check<boolean> = (key, value) => {
  if (typeof value === 'boolean') return value;
  throw new ConfigError(key, value, 'true or false');
};

/** A rule that names a worker by index (a slowdown rule), with the rule as written. */
export interface WorkerRule {
  worker: number;
  text: string;
}

/**
 * Rules must name workers the pool has: workers are numbered from 0 in the
 * order of the `workers` list. `poolSize` null is an `auto` pool, whose size
 * is known only once the browser is asked, so it is not checked here.
 */
export function checkWorkerRules(key: string, value: unknown, rules: readonly WorkerRule[], poolSize: number | null): void {
  if (poolSize === null) return;
  const bad = rules.find((rule) => rule.worker >= poolSize);
  if (bad === undefined) return;
  throw new ConfigError(
    key,
    value,
    `rules for workers 0 to ${poolSize - 1} (the pool has ${poolSize} worker${poolSize === 1 ? '' : 's'}, numbered from 0 in the order of workers); ` +
      `rule ${clip(bad.text)} names worker ${bad.worker}`,
  );
}
