/**
 * The Sweep panel's fields (up to MAX_SWEEP_KEYS rows of key, kind and
 * values; trials; seeds; algorithms) as text, and read into a checked
 * SweepPlan (sweep/plan-read.ts reads the values): every refusal is a
 * SweepPlanError whose field is the control's name, with the value and what
 * is allowed. Pure (no DOM).
 */
import { ALGOS, type Algo, type RunConfig } from '../core/config';
import { quote } from '../core/errors';
import {
  MAX_RANDOM_TRIALS,
  MAX_SWEEP_KEYS,
  SweepPlanError,
  settingCount,
  trialCount,
  type GridAxis,
  type RandomAxis,
  type SweepKey,
  type SweepPlan,
} from '../sweep/plan';
import { DEFAULT_DRAW_SEED, DEFAULT_RANDOM_TRIALS, MAX_SEED, checkedPlan, readInteger, sweepValueReader } from '../sweep/plan-read';
import { formatGridAxis, formatRandomAxis, parseGridAxis, parseRandomAxis, parseSeedList } from '../sweep/plan-text';

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
  return checkedPlan(plan, (field) => {
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
