/**
 * Reading a sweep from text, shared by the Sweep panel's fields
 * (ui/sweep-form.ts), the sweep's URL parameters (ui/sweep-url.ts) and the
 * request `tandem.sweep` takes (readRequest): each value read as its URL
 * parameter is (readConfigText over the page's config), the algorithms,
 * whole numbers, and the plan checked with every refusal a SweepPlanError
 * naming the field the person typed in. Pure (no DOM).
 */
import { ALGOS, DEFAULT_CONFIG, ConfigError, type Algo, type RunConfig } from '../core/config';
import { parseDecimal } from '../core/config-checks';
import { readConfigText } from '../core/config-url';
import { quote } from '../core/errors';
import type { SweepRequest } from '../tandem-api';
import { MAX_RANDOM_TRIALS, MAX_SWEEP_KEYS, SweepPlanError, checkPlan, type AxisValue, type SweepPlan } from './plan';
import { parseGridAxis, parseRandomAxis, parseSeedList, type ValueReader } from './plan-text';

/** Random draws a new random row starts with. */
export const DEFAULT_RANDOM_TRIALS = 10;
export const DEFAULT_DRAW_SEED = 1;
/** The largest seed a config takes (core/config.ts). */
export const MAX_SEED = 2 ** 32 - 1;

/**
 * Reads one value of a key as its URL parameter is read over `base`; a
 * refusal names `field` before the validator's own words (`Sweep key 2
 * values: Invalid tauFast: 0. Allowed: an integer from 1 to 4096.`).
 */
export function sweepValueReader(field: string, base: Readonly<RunConfig>): ValueReader {
  return (key, text) => {
    try {
      return readConfigText(key, text, base) as AxisValue;
    } catch (e) {
      if (e instanceof ConfigError) throw new SweepPlanError(field, `${field}: ${e.message}`);
      throw e;
    }
  };
}

/** A whole number from `min` to `max` typed in `field`. */
export function readInteger(field: string, text: string, min: number, max: number): number {
  const n = parseDecimal(text);
  if (n === null || !Number.isInteger(n) || n < min || n > max) {
    throw new SweepPlanError(field, `${field}: ${quote(text)} is not allowed. Allowed: an integer from ${min} to ${max}.`);
  }
  return n;
}

/** `biased,sync`: distinct algorithms, comma-separated. */
export function readAlgos(field: string, text: string): Algo[] {
  const algos = text.split(',').map((a) => a.trim());
  const bad = algos.find((a) => !(ALGOS as readonly string[]).includes(a));
  if (bad !== undefined) throw new SweepPlanError(field, `${field}: ${quote(bad)} is no algorithm. Allowed: one or more of ${ALGOS.join(', ')}, comma-separated.`);
  if (new Set(algos).size !== algos.length) throw new SweepPlanError(field, `${field} ${quote(text)}: each algorithm once.`);
  return algos as Algo[];
}

/** checkPlan with the page's key limit (MAX_SWEEP_KEYS); its error re-fielded by `fieldFor` and prefixed with that field. */
export function checkedPlan(plan: SweepPlan, fieldFor: (field: string) => string): SweepPlan {
  try {
    checkPlan(plan, MAX_SWEEP_KEYS);
  } catch (e) {
    if (!(e instanceof SweepPlanError)) throw e;
    const field = fieldFor(e.field);
    throw new SweepPlanError(field, e.message.startsWith(field) ? e.message : `${field}: ${e.message}`);
  }
  return plan;
}

const REQUEST_FIELDS: readonly (keyof SweepRequest)[] = ['grid', 'random', 'trials', 'seeds', 'algos', 'drawSeed'];

/** A list of strings from a string or an array; anything else is refused naming `field`. */
function texts(field: string, value: unknown, allowed: string): string[] {
  if (value === undefined) return [];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  throw new SweepPlanError(field, `Invalid ${field}: ${JSON.stringify(value) ?? String(value)}. Allowed: ${allowed}.`);
}

function wholeNumber(field: string, value: unknown, min: number, max: number): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
  throw new SweepPlanError(field, `Invalid ${field}: ${JSON.stringify(value) ?? String(value)}. Allowed: an integer from ${min} to ${max}.`);
}

/**
 * `tandem.sweep`'s request as a checked plan over `base` (the page's
 * config). Throws a SweepPlanError naming the request's field (`grid`,
 * `random`, `trials`, `seeds`, `algos`, `drawSeed`), the value and what is
 * allowed; an unknown field is refused too.
 */
export function readRequest(request: unknown, base: Readonly<RunConfig> = DEFAULT_CONFIG): SweepPlan {
  if (typeof request !== 'object' || request === null || Array.isArray(request)) {
    throw new SweepPlanError('plan', `A sweep is an object {grid?, random?, trials?, seeds?, algos?, drawSeed?}; got ${JSON.stringify(request) ?? String(request)}.`);
  }
  const r = request as Record<string, unknown>;
  const unknown = Object.keys(r).find((k) => !(REQUEST_FIELDS as string[]).includes(k));
  if (unknown !== undefined) throw new SweepPlanError(unknown, `Unknown sweep field ${quote(unknown)}. Fields: ${REQUEST_FIELDS.join(', ')}.`);
  const gridTexts = texts('grid', r['grid'], 'strings KEY=V1,V2,..., e.g. ["tauFast=8,16,32"]');
  const randomTexts = texts('random', r['random'], 'strings KEY=LOW:HIGH or KEY=LOW:HIGH:log, e.g. ["learningRate=0.01:0.2:log"]');
  const grid = gridTexts.map((t) => parseGridAxis('grid', t, sweepValueReader('grid', base)));
  const random = randomTexts.map((t) => parseRandomAxis('random', t, sweepValueReader('random', base)));
  const seedsIn = r['seeds'];
  let seeds: number[];
  if (seedsIn === undefined) seeds = [base.seed];
  else if (typeof seedsIn === 'string') seeds = parseSeedList('seeds', seedsIn);
  else if (Array.isArray(seedsIn)) seeds = seedsIn.map((s) => wholeNumber('seeds', s, 0, MAX_SEED));
  else throw new SweepPlanError('seeds', `Invalid seeds: ${JSON.stringify(seedsIn)}. Allowed: integers from 0 to ${MAX_SEED}, e.g. [1, 2, 3].`);
  const algosIn = r['algos'];
  const algos = algosIn === undefined ? [base.algo] : readAlgos('algos', texts('algos', algosIn, `one or more of ${ALGOS.join(', ')}`).join(','));
  const plan: SweepPlan = {
    grid,
    random,
    trials: r['trials'] === undefined ? (random.length > 0 ? DEFAULT_RANDOM_TRIALS : 0) : wholeNumber('trials', r['trials'], 0, MAX_RANDOM_TRIALS),
    algos,
    seeds,
    drawSeed: r['drawSeed'] === undefined ? DEFAULT_DRAW_SEED : wholeNumber('drawSeed', r['drawSeed'], 0, MAX_SEED),
  };
  return checkedPlan(plan, (field) => {
    if ((REQUEST_FIELDS as string[]).includes(field)) return field;
    if (field === 'keys') return random.length > 0 && grid.length === 0 ? 'random' : 'grid';
    return random.some((a) => a.key === field) ? 'random' : 'grid';
  });
}
