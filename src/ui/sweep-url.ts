/**
 * A sweep in the page's URL, beside the config's own parameters:
 * `sweepGrid=tauFast=8,16,32` (one parameter per key, or keys joined by
 * `|`), `sweepRandom=learningRate=0.01:0.2:log`, `sweepTrials=10` and
 * `sweepDrawSeed=1` (with random ranges), `sweepSeeds=1,2`,
 * `sweepAlgos=biased,sync`. Read at load into the Sweep panel, never started
 * by itself; each refused parameter is reported as a refused config
 * parameter is (a ConfigError named by the parameter) and left out. Pure.
 */
import { ConfigError, type RunConfig } from '../core/config';
import { urlText } from '../core/config-url';
import { clip } from '../core/errors';
import { MAX_RANDOM_TRIALS, MAX_SWEEP_KEYS, SweepPlanError, checkPlan, type SweepKey, type SweepPlan } from '../sweep/plan';
import { MAX_SEED, readAlgos, readInteger, sweepValueReader } from '../sweep/plan-read';
import { GRID_EXAMPLE, RANDOM_EXAMPLE, formatGridAxis, formatRandomAxis, parseGridAxis, parseRandomAxis, parseSeedList } from '../sweep/plan-text';
import { defaultFields, valuesText, type AxisKind, type AxisFields, type SweepFields } from './sweep-form';

/** The sweep's query parameters; parseUrlConfig skips them. */
export const SWEEP_PARAMS = ['sweepGrid', 'sweepRandom', 'sweepTrials', 'sweepDrawSeed', 'sweepSeeds', 'sweepAlgos'] as const;
type SweepParam = (typeof SWEEP_PARAMS)[number];

/** What each parameter takes, for its errors. */
const ALLOWED: Readonly<Record<SweepParam, string>> = {
  sweepGrid: `KEY=V1,V2,... with values the key allows, e.g. ${GRID_EXAMPLE}`,
  sweepRandom: `KEY=LOW:HIGH or KEY=LOW:HIGH:log for a numeric key, e.g. ${RANDOM_EXAMPLE}`,
  sweepTrials: `an integer from 1 to ${MAX_RANDOM_TRIALS}, with sweepRandom`,
  sweepDrawSeed: `an integer from 0 to ${MAX_SEED}, with sweepRandom`,
  sweepSeeds: `integers from 0 to ${MAX_SEED}, comma-separated`,
  sweepAlgos: 'algorithms, comma-separated',
};

/** The plan as query parameters (no leading `?` or `&`); empty for no plan. */
export function sweepQuery(plan: SweepPlan | null): string {
  if (!plan) return '';
  const params: [SweepParam, string][] = [
    ...plan.grid.map((a): [SweepParam, string] => ['sweepGrid', formatGridAxis(a)]),
    ...plan.random.map((a): [SweepParam, string] => ['sweepRandom', formatRandomAxis(a)]),
  ];
  if (plan.random.length > 0) params.push(['sweepTrials', String(plan.trials)], ['sweepDrawSeed', String(plan.drawSeed)]);
  params.push(['sweepSeeds', plan.seeds.join(',')], ['sweepAlgos', plan.algos.join(',')]);
  return params.map(([name, text]) => `${name}=${urlText(text, true)}`).join('&');
}

export interface UrlSweep {
  /** The panel's fields from the parameters it accepted; null when the URL holds no sweep. */
  fields: SweepFields | null;
  /** One per refused parameter (or refused key of one), named by the parameter. */
  errors: ConfigError[];
}

/** A lone axis checked as a plan of its own: too few values, a value twice, a range that holds no integer. */
function checkAxis(plan: Pick<SweepPlan, 'grid' | 'random'>): void {
  checkPlan({ ...plan, trials: plan.random.length > 0 ? 1 : 0, algos: ['biased'], seeds: [1], drawSeed: 1 });
}

/**
 * The sweep a query string holds, read over `base` (the config the URL
 * gave): every value as its own config parameter would be read. What is
 * refused is listed and left out; the rest goes into the panel.
 */
export function parseSweepUrl(search: string, base: Readonly<RunConfig>): UrlSweep {
  const params = [...new URLSearchParams(search)].filter((p): p is [SweepParam, string] => (SWEEP_PARAMS as readonly string[]).includes(p[0]));
  if (params.length === 0) return { fields: null, errors: [] };
  const errors: ConfigError[] = [];
  const refuse = (name: SweepParam, text: string, message: string) => errors.push(new ConfigError(name, text, ALLOWED[name], message));
  // The panel's own words name its control; here the parameter is named beside the message, so it goes.
  const leftOut = (name: SweepParam, e: SweepPlanError) => `${e.message.replace(new RegExp(`^${name}:? `), '')} Left out of the sweep.`;
  const axes: AxisFields[] = [];
  const single = new Map<SweepParam, string>();
  for (const [name, text] of params) {
    if (name === 'sweepGrid' || name === 'sweepRandom') {
      const kind: AxisKind = name === 'sweepGrid' ? 'grid' : 'random';
      const read = sweepValueReader(name, base);
      for (const piece of text.split('|').map((p) => p.trim()).filter((p) => p !== '')) {
        try {
          const one = kind === 'grid' ? { grid: [parseGridAxis(name, piece, read)], random: [] } : { grid: [], random: [parseRandomAxis(name, piece, read)] };
          checkAxis(one);
          const { key } = (one.grid[0] ?? one.random[0]) as { key: SweepKey };
          if (axes.some((a) => a.key === key)) throw new SweepPlanError(name, `${key} is swept twice; the first is used.`);
          if (axes.length >= MAX_SWEEP_KEYS) throw new SweepPlanError(name, `The page's sweep varies at most ${MAX_SWEEP_KEYS} keys.`);
          axes.push({ key, kind, values: valuesText(piece).trim() });
        } catch (e) {
          if (!(e instanceof SweepPlanError)) throw e;
          refuse(name, piece, leftOut(name, e));
        }
      }
      continue;
    }
    if (single.has(name)) {
      refuse(name, text, `Ignored: ${name}=${clip(text)}; ${name} is given more than once and the first value is used.`);
      continue;
    }
    try {
      if (name === 'sweepTrials') single.set(name, String(readInteger(name, text, 1, MAX_RANDOM_TRIALS)));
      else if (name === 'sweepDrawSeed') single.set(name, String(readInteger(name, text, 0, MAX_SEED)));
      else if (name === 'sweepSeeds') single.set(name, parseSeedList(name, text).join(','));
      else single.set(name, readAlgos(name, text).join(','));
    } catch (e) {
      if (!(e instanceof SweepPlanError)) throw e;
      refuse(name, text, leftOut(name, e));
    }
  }
  const hasRandom = axes.some((a) => a.kind === 'random');
  for (const name of ['sweepTrials', 'sweepDrawSeed'] as const) {
    const text = single.get(name);
    if (text !== undefined && !hasRandom) {
      single.delete(name);
      refuse(name, text, `Ignored: ${name}=${clip(text)}; it is for random ranges (sweepRandom), and the sweep has none.`);
    }
  }
  const fields = defaultFields(base);
  axes.forEach((axis, i) => (fields.axes[i] = axis));
  fields.trials = single.get('sweepTrials') ?? fields.trials;
  fields.drawSeed = single.get('sweepDrawSeed') ?? fields.drawSeed;
  fields.seeds = single.get('sweepSeeds') ?? fields.seeds;
  const algos = single.get('sweepAlgos');
  if (algos !== undefined) fields.algos = readAlgos('sweepAlgos', algos);
  return { fields, errors };
}
