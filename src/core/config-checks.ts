/**
 * The validator's building blocks: the error every bad value raises (it
 * names the key, the value and what is allowed) and the checks config keys
 * are made of. No config knowledge here.
 */

/** A bad configuration value: names the key, the value and what is allowed. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly key: string,
    readonly value: unknown,
    readonly allowed: string,
  ) {
    super(`Invalid ${key}: ${show(value)}. Allowed: ${allowed}.`);
  }
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) {
    return String(value);
  }
  try {
    const text = JSON.stringify(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

export type Check<T> = (key: string, value: unknown) => T;

export function oneOf<T extends string>(allowed: readonly T[]): Check<T> {
  return (key, value) => {
    if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
    throw new ConfigError(key, value, `one of ${allowed.join(', ')}`);
  };
}

export function integer(min: number, max: number): Check<number> {
  return (key, value) => {
    if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
    throw new ConfigError(key, value, `an integer from ${min} to ${max}`);
  };
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
  return (key, value) => {
    if (value === null) return null;
    try {
      return check(key, value);
    } catch {
      throw new ConfigError(key, value, `${allowed}, or null`);
    }
  };
}

export const boolean: Check<boolean> = (key, value) => {
  if (typeof value === 'boolean') return value;
  throw new ConfigError(key, value, 'true or false');
};
