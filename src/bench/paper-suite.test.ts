import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, mechanismsOf, validateConfig, workerCount } from '../core/config';
import { computeBudgets } from '../core/schedule';
import { parseBenchArgs } from './args';
import { paperUsage, parsePaperArgs, suiteRuns } from './paper';
import { COMPARE_SECONDS_PER_EPOCH, DEFAULT_SUITE, EXPERIMENT_NAMES, buildExperiment, compareTimeCap } from './paper-suite';

// The suite's own base pool (paper.ts): explicit, so experiments can name workers by index.
const base = validateConfig({ workers: 'webgpu:1,wasm:2' });

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
      const e = buildExperiment('heterogeneity', validateConfig({ tauFast, workers: 'webgpu:1,wasm:2' }), DEFAULT_SUITE);
      const taus = e.variants.map((v) => {
        const config = validateConfig({ tauFast, workers: 'webgpu:1,wasm:2', ...v.config });
        // Equal workers, as measured; an emulated slowdown stretches each step by its factor.
        const stepMs = Array.from({ length: workerCount(config) ?? 0 }, (_, id) => {
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

  it('names the tau each heterogeneity variant means the slowed worker to get', () => {
    const e = buildExperiment('heterogeneity', base, DEFAULT_SUITE);
    expect(e.variants.map((v) => v.intendedTau)).toEqual([16, 4, 1].map((tau) => ({ worker: 1, tau })));
  });

  it("gives compare's runs time for their epochs unless --max-seconds caps them", () => {
    const caps = (suite = DEFAULT_SUITE) => buildExperiment('compare', base, suite).variants.map((v) => v.config.maxSeconds);
    // Sync needs about 232 s per epoch on this machine's default pool.
    expect(COMPARE_SECONDS_PER_EPOCH).toBeGreaterThanOrEqual(232 * 1.25);
    expect(caps()).toEqual([COMPARE_SECONDS_PER_EPOCH, COMPARE_SECONDS_PER_EPOCH, COMPARE_SECONDS_PER_EPOCH, COMPARE_SECONDS_PER_EPOCH]);
    expect(caps({ ...DEFAULT_SUITE, epochs: 2 })[0]).toBe(2 * COMPARE_SECONDS_PER_EPOCH);
    expect(caps({ ...DEFAULT_SUITE, compareMaxSeconds: 30 })[0]).toBe(30);
    // Never past what validateConfig accepts.
    expect(compareTimeCap(1000)).toBe(86_400);
    expect(buildExperiment('compare', base, DEFAULT_SUITE).description).toContain(`${COMPARE_SECONDS_PER_EPOCH} s`);
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

  it('passes --seeds and --repeat to the benchmark parser, which names their errors', () => {
    expect(parseBenchArgs(parsePaperArgs(['--experiments', 'lambda', '--repeat', '3']).benchArgv).seeds).toEqual([1, 2, 3]);
    expect(parseBenchArgs(parsePaperArgs(['--seeds', '4,5']).benchArgv).seeds).toEqual([4, 5]);
    expect(() => parseBenchArgs(parsePaperArgs(['--seeds', '4,4']).benchArgv)).toThrow(/--seeds: "4,4"/);
    expect(paperUsage()).toMatch(/--seeds LIST/);
    expect(paperUsage()).toMatch(/--repeat N/);
    expect(paperUsage()).toContain('--epochs-each N');
  });

  it('runs experiment by experiment, and seed by seed within one, the variants turned by one each seed', () => {
    const runs = suiteRuns([buildExperiment('direction', base, DEFAULT_SUITE), buildExperiment('lambda', base, DEFAULT_SUITE)], [1, 2]);
    expect(runs.map((r) => `${r.experiment.name} ${r.variant.label} ${r.seed}`).slice(0, 5)).toEqual([
      'direction to slow 1',
      'direction to fast 1',
      'direction to fast 2',
      'direction to slow 2',
      'lambda lambda = 0.1 1',
    ]);
    expect(runs).toHaveLength(2 * (2 + 4));
  });

  it('names a bad suite flag and its value', () => {
    expect(() => parsePaperArgs(['--experiments', 'compare,nope'])).toThrow(/--experiments: "compare,nope".*compare, ablation/);
    expect(() => parsePaperArgs(['--rounds', '1'])).toThrow(/--rounds/);
    expect(() => parsePaperArgs(['--slowdown-factor', 'x'])).toThrow(/--slowdown-factor/);
    expect(() => parsePaperArgs(['--out-dir'])).toThrow(/--out-dir/);
  });
});
