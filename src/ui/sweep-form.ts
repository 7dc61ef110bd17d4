/**
 * A sweep read from text into a checked SweepPlan: the Sweep panel's fields
 * (up to MAX_SWEEP_KEYS rows of key, kind and values; trials; seeds;
 * algorithms) and the request `tandem.sweep` takes. Each value is read as
 * its URL parameter is (readConfigText over the page's config), and every
 * refusal is a SweepPlanError whose field is the control's name or the
 * request's field, with the value and what is allowed. Pure (no DOM).
 */
import { ALGOS, DEFAULT_CONFIG, ConfigError, type Algo, type RunConfig } from '../core/config';
import { parseDecimal } from '../core/config-checks';
import { quote } from '../core/errors';
import {
  MAX_RANDOM_TRIALS,
  MAX_SWEEP_KEYS,
  SweepPlanError,
  checkPlan,
  settingCount,
  trialCount,
  type AxisValue,
  type GridAxis,
  type RandomAxis,
  type SweepKey,
  type SweepPlan,
} from '../sweep/plan';
import { formatGridAxis, formatRandomAxis, parseGridAxis, parseRandomAxis, parseSeedList, type ValueReader } from '../sweep/plan-text';
import type { SweepRequest } from '../tandem-api';
import { readConfigText } from './url-config';

/** A grid of listed values, or a range drawn from at random. */
export type AxisKind = 'grid' | 'random';

/** One row of the panel: a key (null: the row is unused), how it varies, and its values as typed. */
export interface AxisFields {
  key: SweepKey | null;
  kind: AxisKind;
  /** `8,16,32` (grid; `;` between values that hold commas) or `0.01:0.2:log` (random). */
  values: string;
}

/** What the Sweep panel's controls hold, as text. */
export interface SweepFields {
  /** MAX_SWEEP_KEYS rows. */
  axes: AxisFields[];
  /** Random draws; read only when a row is random. */
  trials: string;
  /** The random draws' seed; read only when a row is random. */
  drawSeed: string;
  /** `1,2,3`; empty: the configuration's seed. */
  seeds: string;
  algos: Algo[];
}

/** Random draws a new random row starts with. */
export const DEFAULT_RANDOM_TRIALS = 10;
export const DEFAULT_DRAW_SEED = 1;
/** The largest seed a config takes (core/config.ts). */
export const MAX_SEED = 2 ** 32 - 1;

/** The panel's control names; errors name the control they are about. */
export const FIELD = {
  key: (row: number): string => `Sweep key ${row}`,
  values: (row: number): string => `Sweep key ${row} values`,
  trials: 'Sweep trials',
  drawSeed: 'Sweep draw seed',
  seeds: 'Sweep seeds',
  algos: 'Sweep algorithms',
  keys: 'Sweep keys',
} as const;

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

/** The panel's fields before anything is typed: no keys, the configuration's algorithm, its seed. */
export function defaultFields(base: Readonly<Pick<RunConfig, 'algo'>>): SweepFields {
  return {
    axes: Array.from({ length: MAX_SWEEP_KEYS }, () => ({ key: null, kind: 'grid', values: '' })),
    trials: String(DEFAULT_RANDOM_TRIALS),
    drawSeed: String(DEFAULT_DRAW_SEED),
    seeds: '',
    algos: [base.algo],
  };
}

/** A plan shown in the panel's fields (a sweep from the URL or a script): the inverse of readFields. */
export function fieldsOf(plan: SweepPlan): SweepFields {
  const grid = plan.grid.map((a): AxisFields => ({ key: a.key, kind: 'grid', values: valuesText(formatGridAxis(a)) }));
  const random = plan.random.map((a): AxisFields => ({ key: a.key, kind: 'random', values: valuesText(formatRandomAxis(a)) }));
  const axes = [...grid, ...random];
  while (axes.length < MAX_SWEEP_KEYS) axes.push({ key: null, kind: 'grid', values: '' });
  return {
    axes,
    trials: String(plan.random.length > 0 ? plan.trials : DEFAULT_RANDOM_TRIALS),
    drawSeed: String(plan.drawSeed),
    seeds: plan.seeds.join(','),
    algos: plan.algos.slice(),
  };
}

/** `tauFast=8,16` -> `8,16`. */
export function valuesText(axisText: string): string {
  return axisText.slice(axisText.indexOf('=') + 1);
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

/**
 * The panel's fields as a checked plan over `base` (the configuration the
 * trials start from). Throws a SweepPlanError naming the control: `Sweep
 * key 2 values`, `Sweep seeds`, and so on.
 */
export function readFields(fields: SweepFields, base: Readonly<RunConfig>): SweepPlan {
  const grid: GridAxis[] = [];
  const random: RandomAxis[] = [];
  const rows: (SweepKey | null)[] = [];
  fields.axes.forEach((axis, i) => {
    const row = i + 1;
    rows.push(axis.key);
    const values = axis.values.trim();
    if (axis.key === null) {
      if (values !== '') throw new SweepPlanError(FIELD.key(row), `${FIELD.key(row)}: choose the config key the values ${quote(values)} are for.`);
      return;
    }
    const field = FIELD.values(row);
    if (values === '') {
      const wanted = axis.kind === 'grid' ? 'two or more values, comma-separated, e.g. 8,16,32' : 'a range LOW:HIGH or LOW:HIGH:log, e.g. 0.01:0.2:log';
      throw new SweepPlanError(field, `${field}: empty. Allowed: ${wanted}.`);
    }
    const text = `${axis.key}=${values}`;
    const read = sweepValueReader(field, base);
    if (axis.kind === 'grid') grid.push(parseGridAxis(field, text, read));
    else random.push(parseRandomAxis(field, text, read));
  });
  const randomRows = random.length > 0;
  const plan: SweepPlan = {
    grid,
    random,
    trials: randomRows ? readInteger(FIELD.trials, fields.trials, 1, MAX_RANDOM_TRIALS) : 0,
    algos: fields.algos.slice(),
    seeds: fields.seeds.trim() === '' ? [base.seed] : parseSeedList(FIELD.seeds, fields.seeds),
    drawSeed: randomRows ? readInteger(FIELD.drawSeed, fields.drawSeed, 0, MAX_SEED) : DEFAULT_DRAW_SEED,
  };
  if (plan.algos.length === 0) throw new SweepPlanError(FIELD.algos, `${FIELD.algos}: none ticked. Allowed: one or more of ${ALGOS.join(', ')}.`);
  return checked(plan, (field) => {
    if (field === 'keys') return FIELD.keys;
    if (field === 'trials') return FIELD.trials;
    if (field === 'seeds') return FIELD.seeds;
    if (field === 'algos') return FIELD.algos;
    // A key's own trouble (too few values, a value twice, a key on two rows): the last row that holds it.
    const row = rows.lastIndexOf(field as SweepKey) + 1;
    if (row === 0) return field;
    return rows.indexOf(field as SweepKey) + 1 !== row ? FIELD.key(row) : FIELD.values(row);
  });
}

/** checkPlan with the page's key limit; its error re-fielded by `fieldFor` and prefixed with that field. */
function checked(plan: SweepPlan, fieldFor: (field: string) => string): SweepPlan {
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
  return checked(plan, (field) => {
    if ((REQUEST_FIELDS as string[]).includes(field)) return field;
    if (field === 'keys') return random.length > 0 && grid.length === 0 ? 'random' : 'grid';
    return random.some((a) => a.key === field) ? 'random' : 'grid';
  });
}

/** `6 trials: 3 settings x 1 algorithm x 2 seeds.` What Run sweep will run. */
export function planSummary(plan: SweepPlan): string {
  const points = settingCount(plan);
  const total = trialCount(plan);
  const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  return (
    `${count(total, 'trial', 'trials')}: ${count(points, 'setting', 'settings')}${plan.random.length > 0 ? ' (random draws)' : ''} x ` +
    `${count(plan.algos.length, 'algorithm', 'algorithms')} x ${count(plan.seeds.length, 'seed', 'seeds')}.`
  );
}
