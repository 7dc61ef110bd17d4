import { describe, expect, it } from 'vitest';
import { validateConfig } from '../core/config';
import type { RunResult } from '../protocol';
import { variantLabel, workersCell } from './paper-cells';
import { experimentTable, suiteMarkdown, type ExperimentResult, type VariantResult } from './paper-report';
import { accuracySeries, busyRows } from './plots';
import { FIXTURE_ENV, fakeRun, fakeWorker } from './run-fixture';

function experiment(name: ExperimentResult['name'], variants: VariantResult[]): ExperimentResult {
  return { name, title: name, description: '', variants, plots: { accuracy: 'a.png', busy: 'b.png' } };
}

function ran(label: string, result: RunResult | null, seed = 1, extra: Partial<VariantResult> = {}): VariantResult {
  return { label, config: {}, seed, result, failure: result ? null : 'run rejected: boom', ...extra };
}

/** The table row of `label`, split into cells. */
function rowOf(table: string, label: string): string[] | undefined {
  return table
    .split('\n')
    .find((l) => l.startsWith(`| ${label}`))
    ?.split(' | ')
    .map((c) => c.replace(/^\| |\s\|$/g, ''));
}

describe('heterogeneity labels', () => {
  const slowed = (tau: number, seed = 1): RunResult =>
    fakeRun('biased', 700, { emulated: true, workers: [fakeWorker(0), fakeWorker(1, { tau, slowdown: 2, stepMs: 17.5, measuredStepMs: 7.9 })] }, seed);

  it('put the tau the slowed worker ran with beside the one intended, and mark the emulation', () => {
    expect(variantLabel({ label: 'tau_S = 16', intendedTau: { worker: 1, tau: 16 } }, [slowed(10)])).toBe('tau_S = 16 (ran 10) *');
    expect(variantLabel({ label: 'tau_S = 16', intendedTau: { worker: 1, tau: 16 } }, [slowed(10), slowed(11, 2), slowed(9, 3)])).toBe(
      'tau_S = 16 (ran 9–11) *',
    );
    expect(variantLabel({ label: 'lambda = 1' }, [fakeRun('biased', 700)])).toBe('lambda = 1');
  });

  it('appear in the report table', () => {
    const e = experiment('heterogeneity', [ran('tau_S = 16', slowed(10), 1, { intendedTau: { worker: 1, tau: 16 } })]);
    expect(rowOf(experimentTable(e, 0.8, [1]), 'tau_S')?.[0]).toBe('tau_S = 16 (ran 10) *');
  });
});

describe('worker cells', () => {
  it('show the measured step time of a fixed-budget run, with the time without the emulated wait', () => {
    const fixed = fakeRun('biased', 1800, {
      emulated: true,
      config: { ...validateConfig({}), adaptiveBudgets: false },
      workers: [fakeWorker(2, { tau: 32, stepMs: 44.8, measuredStepMs: 11.2, slowdown: 4, busyMs: 890, idleMs: 110 })],
    });
    expect(workersCell([fixed])).toBe('2 wasm: tau 32 (fixed), step 44.8 ms (x4 emulated; 11.2 ms without the wait), busy 89%');
  });

  it('give the tau range and median step over seeds', () => {
    const runs = [10, 12, 20].map((stepMs, i) => fakeRun('biased', 1000, { workers: [fakeWorker(1, { stepMs, measuredStepMs: stepMs, tau: 30 + i })] }, i + 1));
    expect(workersCell(runs)).toBe('1 wasm: tau 30–32, step 12.0 ms, busy 75%');
  });
});

describe('experimentTable', () => {
  it("sets each variant against the sync variant's throughput limit, seed by seed, and leaves out one that missed the target", () => {
    const sync = (seed: number) => ran('sync', fakeRun('sync', 10_000, { workers: [fakeWorker(0, { busyMs: 1000 })] }, seed), seed, { config: { algo: 'sync' } });
    const e = experiment('compare', [
      ...[1, 2].map(sync),
      ...[1, 2].map((seed) => ran('biased', fakeRun('biased', 4000 * seed, {}, seed), seed, { config: { algo: 'biased' } })),
      ran('local', fakeRun('local', null), 1, { config: { algo: 'local' } }),
    ]);
    const table = experimentTable(e, 0.85, [1, 2]);
    // sync's worker trained 10240 samples in 1 s busy over 3.8 s of rounds: a limit of 3.80; biased reached the target 2.5x and 1.25x as fast.
    expect(table).toContain(
      "- biased: reached the target 1.88x (1.25–2.50) as fast as sync, against sync's throughput limit of 3.80x: 0.49 (0.33–0.66) of it; it trained 1.25x sync's samples per second of rounds.",
    );
    expect(table).not.toMatch(/- local: reached/);
    // No sync variant, no note.
    expect(experimentTable(experiment('lambda', [ran('lambda = 1', fakeRun('biased', 700))]), 0.85, [1])).not.toContain('throughput limit');
  });

  it('gives median (min–max) over seeds on both clocks, the number of runs and the failed ones', () => {
    const e = experiment('lambda', [
      ...[1800, 2000, 2400].map((t, i) => ran('lambda = 1', fakeRun('biased', t, {}, i + 1), i + 1)),
      ran('lambda = 0.1', fakeRun('biased', 1600), 1),
      ran('lambda = 0.1', null, 2),
      ran('lambda = 0.1', fakeRun('biased', null), 3),
    ]);
    const table = experimentTable(e, 0.8, [1, 2, 3]);
    expect(table.split('\n')[0]).toBe(
      '| variant | runs | time to 80.00% (train) | time to 80.00% (wall) | final accuracy | rounds | epochs | train time | eval share of wall | workers |',
    );
    expect(rowOf(table, 'lambda = 1')?.slice(0, 4)).toEqual(['lambda = 1', '3', '2.0 s (1.8–2.4)', '3.0 s (2.8–3.4)']);
    expect(rowOf(table, 'lambda = 0.1')?.slice(1, 3)).toEqual(['2 of 3', 'not reached (1.6–not reached; 1/2 reached)']);
    expect(table).toContain('- lambda = 0.1, seed 2: run rejected: boom');
  });

  it('gives a text model bits per character beside its accuracy, and image models no such column', () => {
    const text = (loss: number | null, seed: number): RunResult =>
      fakeRun('biased', 2000, { finalLoss: loss, config: { ...validateConfig({ dataset: 'moby-dick', model: 'transformer' }), seed } }, seed);
    const table = experimentTable(experiment('lambda', [ran('lambda = 1', text(2.2, 1), 1), ran('lambda = 1', text(2.3, 2), 2), ran('lambda = 1', null, 3)]), 0.3, [1, 2, 3]);
    expect(table.split('\n')[0]).toContain('| final accuracy | bits/char | rounds |');
    // 2.2 / ln 2 = 3.174, 2.3 / ln 2 = 3.318; the failed seed has no loss.
    expect(rowOf(table, 'lambda = 1')?.[5]).toBe('3.246 (3.174–3.318)');
    expect(experimentTable(experiment('lambda', [ran('a', fakeRun('biased', 2000))]), 0.8, [1])).not.toContain('bits/char');
  });

  it('prints a coarse interval for one seed and a footnote over seeds', () => {
    const one = experiment('compare', [ran('sync', fakeRun('sync', 25_700, { targetAfterMs: 12_900 }))]);
    expect(rowOf(experimentTable(one, 0.8, [1]), 'sync')?.[1]).toBe('25.7 s (in 12.9–25.7)');
    const seeds = experiment('compare', [1, 2].map((seed) => ran('sync', fakeRun('sync', 20_000, { targetAfterMs: 10_000 }, seed), seed)));
    const table = experimentTable(seeds, 0.8, [1, 2]);
    expect(rowOf(table, 'sync')?.[2]).toBe('20.0 s †');
    expect(table).toContain('- † sync: the evaluations bracket the crossing loosely: it may lie up to 50% of the time shown before it');
  });

  it('marks runs cut short at equal epochs and leaves them out of the best', () => {
    const equal = { epochs: 1, stopAtTarget: false };
    const e = experiment('compare', [
      ran('biased', fakeRun('biased', 1800, { finalAccuracy: 0.8709 }), 1, { config: { algo: 'biased', ...equal } }),
      ran('sync', fakeRun('sync', 25_700, { cutShort: true, epochsDone: 0.26, stoppedBy: 'time', finalAccuracy: 0.9 }), 1, { config: { algo: 'sync', ...equal } }),
      ran('fast-only', fakeRun('fast-only', 500, { finalAccuracy: 0.8675 }), 1, { config: { algo: 'fast-only', ...equal } }),
    ]);
    const table = experimentTable(e, 0.8, [1]);
    expect(rowOf(table, 'sync')?.[3]).toBe('90.00%, cut at 0.26 epoch (time cap)');
    expect(table).toContain(
      '- Best final accuracy after 1 epoch(s), among the variants whose every run finished them: biased (87.09%). Cut short, so not compared: sync.',
    );
  });
});

describe('suiteMarkdown', () => {
  it('names the seeds and what a cell holds', () => {
    const md = suiteMarkdown({
      startedAt: '2025-03-04T05:06:07.890Z',
      command: 'npm run bench:paper -- --repeat 3',
      base: validateConfig({}),
      seeds: [1, 2, 3],
      environment: FIXTURE_ENV,
      experiments: [experiment('lambda', [ran('lambda = 1', fakeRun('biased', 1800))])],
    });
    expect(md).toContain('- Seeds: 1, 2, 3; every cell is the median (min–max) over them');
    expect(md).toContain('## lambda');
  });
});

describe('plots over seeds', () => {
  const runs = [3000, 1000, 2000].map((t, i) =>
    ran('biased', fakeRun('biased', t, { history: [{ round: 1, trainMs: t, loss: 1, accuracy: 0.5 }], workers: [fakeWorker(0, { busyMs: 100 * (i + 1), idleMs: 100 })] }, i + 1), i + 1),
  );

  it('draw one line per variant, from its median seed', () => {
    expect(accuracySeries(runs)).toEqual([{ label: 'biased (seed 3, the median of 3)', points: [[2, 50]] }]);
    expect(accuracySeries([runs[0] as VariantResult])[0]?.label).toBe('biased');
  });

  it('draw one bar per worker with its median busy share', () => {
    // Busy shares 50%, 66.7%, 75%.
    expect(busyRows(runs)).toEqual([{ label: 'biased · 0 wasm', busy: (100 * 200) / 300 }]);
  });
});
