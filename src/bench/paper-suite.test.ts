import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, mechanismsOf, validateConfig, workerCount } from '../core/config';
import { computeBudgets } from '../core/schedule';
import { parsePaperArgs } from './paper';
import { DEFAULT_SUITE, EXPERIMENT_NAMES, buildExperiment } from './paper-suite';

const base = validateConfig({});

describe('paper suite', () => {
  it('builds valid variants for every experiment', () => {
    for (const name of EXPERIMENT_NAMES) {
      const e = buildExperiment(name, base, DEFAULT_SUITE);
      expect(e.variants.length, name).toBeGreaterThanOrEqual(2);
      for (const v of e.variants) expect(() => validateConfig({ ...v.config }), `${name}: ${v.label}`).not.toThrow();
    }
  });

  it('sets up the heterogeneity stress so that gamma gives tau_S = 16, 4, 1', () => {
    // Any tau_F the suite runs with, not only the paper's 32.
    for (const tauFast of [32, 64]) {
      const e = buildExperiment('heterogeneity', validateConfig({ tauFast }), DEFAULT_SUITE);
      const taus = e.variants.map((v) => {
        const config = validateConfig({ tauFast, ...v.config });
        // Equal workers, as measured; an emulated slowdown stretches each step by its factor.
        const stepMs = Array.from({ length: workerCount(config) }, (_, id) => {
          const slowdown = config.slowdown.find((s) => s.worker === id && s.fromRound <= 1);
          return 11.3 * (slowdown?.factor ?? 1);
        });
        return computeBudgets(stepMs, config.tauFast, { unbalanced: mechanismsOf(config).unbalancedSteps }).tau;
      });
      expect(taus, `tauFast ${tauFast}`).toEqual([
        [tauFast, 16],
        [tauFast, 4],
        [tauFast, 1],
      ]);
    }
  });

  it('slows the last worker from halfway in the adaptive experiment, adaptive and fixed', () => {
    const e = buildExperiment('adaptive', base, { ...DEFAULT_SUITE, rounds: 10 });
    expect(e.variants.map((v) => v.config.adaptiveBudgets)).toEqual([true, false]);
    expect(e.variants[0]?.config.slowdown).toEqual([{ worker: 2, factor: 4, fromRound: 6 }]);
    expect(e.variants[0]?.config.maxRounds).toBe(10);
  });

  it('runs the ablation from none to all three mechanisms', () => {
    const e = buildExperiment('ablation', base, DEFAULT_SUITE);
    expect(e.variants.map((v) => [v.config.unbalancedSteps, v.config.biasedSampling, v.config.weightedAggregation])).toEqual([
      [undefined, undefined, undefined],
      [true, false, false],
      [true, true, false],
      [true, true, true],
    ]);
    expect(DEFAULT_CONFIG.algo).toBe('biased');
  });
});

describe('parsePaperArgs', () => {
  it('separates suite flags from config flags', () => {
    const o = parsePaperArgs(['--experiments', 'lambda,compare', '--tau-fast', '8', '--rounds=6', '--out-dir', 'x']);
    expect(o.experiments).toEqual(['lambda', 'compare']);
    expect(o.suite.rounds).toBe(6);
    expect(o.outDir).toBe('x');
    expect(o.benchArgv).toEqual(['--tau-fast', '8']);
  });

  it('names a bad suite flag and its value', () => {
    expect(() => parsePaperArgs(['--experiments', 'compare,nope'])).toThrow(/--experiments: "compare,nope".*compare, ablation/);
    expect(() => parsePaperArgs(['--rounds', '1'])).toThrow(/--rounds/);
    expect(() => parsePaperArgs(['--slowdown-factor', 'x'])).toThrow(/--slowdown-factor/);
    expect(() => parsePaperArgs(['--out-dir'])).toThrow(/--out-dir/);
  });
});
