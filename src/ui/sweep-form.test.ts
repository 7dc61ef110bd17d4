import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, validateConfig } from '../core/config';
import { SweepPlanError, expandTrials, type SweepPlan } from '../sweep/plan';
import { FIELD, defaultFields, fieldsOf, planSummary, readFields, type SweepFields } from './sweep-form';

const base = validateConfig({ seed: 7, algo: 'sync' });

/** The default fields with rows filled in. */
function fields(rows: SweepFields['axes'], more: Partial<SweepFields> = {}): SweepFields {
  const f = defaultFields(base);
  rows.forEach((r, i) => (f.axes[i] = r));
  return { ...f, ...more };
}

/** The SweepPlanError `fn` throws. */
function refusal(fn: () => unknown): SweepPlanError {
  try {
    fn();
  } catch (e) {
    if (e instanceof SweepPlanError) return e;
    throw e;
  }
  throw new Error('expected a SweepPlanError, nothing was thrown');
}

describe('readFields', () => {
  it('reads a grid and a random range into a plan, with the configuration’s seed and algorithm by default', () => {
    const plan = readFields(
      fields([
        { key: 'tauFast', kind: 'grid', values: '8, 16,32' },
        { key: 'learningRate', kind: 'random', values: '0.01:0.2:log' },
        { key: null, kind: 'grid', values: '' },
      ], { trials: '4', drawSeed: '3' }),
      base,
    );
    expect(plan).toEqual({
      grid: [{ key: 'tauFast', values: [8, 16, 32] }],
      random: [{ key: 'learningRate', lo: 0.01, hi: 0.2, scale: 'log', integer: false }],
      trials: 4,
      algos: ['sync'],
      seeds: [7],
      drawSeed: 3,
    });
    expect(expandTrials(plan)).toHaveLength(12);
  });

  it('reads each value as its URL parameter is: none, pools, booleans', () => {
    const plan = readFields(
      fields([
        { key: 'workers', kind: 'grid', values: 'wasm:1;wasm:2,cpu:1' },
        { key: 'maxRounds', kind: 'grid', values: 'none,5' },
        { key: 'adaptiveBudgets', kind: 'grid', values: 'true,false' },
      ], { seeds: '1,2', algos: ['biased', 'local'] }),
      base,
    );
    expect(plan.grid.map((a) => a.values)).toEqual([
      [[{ backend: 'wasm', count: 1 }], [{ backend: 'wasm', count: 2 }, { backend: 'cpu', count: 1 }]],
      [null, 5],
      [true, false],
    ]);
    expect(plan.seeds).toEqual([1, 2]);
    expect(plan.algos).toEqual(['biased', 'local']);
    // Trials and the draw seed are read only with a random row.
    expect(readFields(fields([{ key: 'tauFast', kind: 'grid', values: '8,16' }], { trials: 'x', drawSeed: '' }), base).trials).toBe(0);
  });

  it('names the control, the value and what is allowed', () => {
    const cases: [SweepFields, string, RegExp][] = [
      [fields([{ key: 'tauFast', kind: 'grid', values: '8,0' }]), FIELD.values(1), /^Sweep key 1 values: Invalid tauFast: 0\. Allowed: an integer from 1 to 4096\.$/],
      [
        fields([{ key: 'tauFast', kind: 'grid', values: '8,16' }, { key: 'lambda', kind: 'grid', values: '0.5,x' }]),
        FIELD.values(2),
        /^Sweep key 2 values: Invalid lambda: "x"\. Allowed: a decimal number\.$/,
      ],
      [fields([{ key: 'tauFast', kind: 'grid', values: '' }]), FIELD.values(1), /^Sweep key 1 values: empty\. Allowed: two or more values/],
      [fields([{ key: 'tauFast', kind: 'grid', values: '8' }]), FIELD.values(1), /^Sweep key 1 values: tauFast has 1 value\(s\); a grid key takes 2 to 20\.$/],
      [fields([{ key: 'tauFast', kind: 'grid', values: '8,8' }]), FIELD.values(1), /lists 8 twice/],
      [fields([{ key: 'tauFast', kind: 'grid', values: '8,16' }, { key: 'tauFast', kind: 'grid', values: '4,2' }]), FIELD.key(2), /^Sweep key 2: tauFast is swept twice/],
      [fields([{ key: null, kind: 'grid', values: '8,16' }]), FIELD.key(1), /^Sweep key 1: choose the config key the values "8,16" are for\.$/],
      [fields([{ key: 'algo', kind: 'grid', values: 'sync,local' } as never]), FIELD.values(1), /algo cannot be swept: algorithms are their own axis/],
      [fields([{ key: 'learningRate', kind: 'random', values: '0.2:0.01' }]), FIELD.values(1), /low bound 0\.2 must be below the high bound 0\.01/],
      [fields([{ key: 'learningRate', kind: 'random', values: '0.01:20' }]), FIELD.values(1), /Invalid learningRate: 20\. Allowed: a number in \(0, 10\]/],
      [fields([{ key: 'model', kind: 'random', values: '1:2' }]), FIELD.values(1), /Invalid model: "1"/],
      [fields([{ key: 'learningRate', kind: 'random', values: '0.01:0.2' }], { trials: '0' }), FIELD.trials, /^Sweep trials: "0" is not allowed\. Allowed: an integer from 1 to 200\.$/],
      [fields([{ key: 'learningRate', kind: 'random', values: '0.01:0.2' }], { drawSeed: '-1' }), FIELD.drawSeed, /^Sweep draw seed: "-1"/],
      [fields([{ key: 'tauFast', kind: 'grid', values: '8,16' }], { seeds: '1,x' }), FIELD.seeds, /^Sweep seeds "1,x": each seed must be an integer from 0 to 4294967295/],
      [fields([{ key: 'tauFast', kind: 'grid', values: '8,16' }], { algos: [] }), FIELD.algos, /^Sweep algorithms: none ticked\. Allowed: one or more of biased, local, sync, fast-only\.$/],
      [fields([]), FIELD.keys, /^Sweep keys: A sweep needs at least one key to vary/],
      // A value the validator refuses only beside the page's other settings: heads must divide dModel.
      [fields([{ key: 'heads', kind: 'grid', values: '4,3' }]), FIELD.values(1), /^Sweep key 1 values: Invalid heads: 3\./],
    ];
    for (const [f, field, message] of cases) {
      const e = refusal(() => readFields(f, base));
      expect(e.field, e.message).toBe(field);
      expect(e.message).toMatch(message);
    }
  });

  it('round-trips a plan through the fields', () => {
    const plan: SweepPlan = {
      grid: [
        { key: 'workers', values: [[{ backend: 'wasm', count: 1 }], [{ backend: 'webgpu', count: 1 }, { backend: 'wasm', count: 2 }]] },
        { key: 'targetWindow', values: [0.05, 1] },
      ],
      random: [{ key: 'batchSize', lo: 16, hi: 64, scale: 'log', integer: true }],
      trials: 5,
      algos: ['biased', 'fast-only'],
      seeds: [3, 1],
      drawSeed: 9,
    };
    expect(readFields(fieldsOf(plan), DEFAULT_CONFIG)).toEqual(plan);
  });

  it('summarises what will run', () => {
    const plan = readFields(fields([{ key: 'tauFast', kind: 'grid', values: '8,16,32' }], { seeds: '1,2' }), base);
    expect(planSummary(plan)).toBe('6 trials: 3 settings x 1 algorithm x 2 seeds.');
  });
});
