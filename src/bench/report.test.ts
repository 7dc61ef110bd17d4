import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../core/config';
import type { RunResult } from '../protocol';
import { baselineTable, formatTable, renderTable, type BenchFile } from './report';
import { FIXTURE_ENV, fakeRun as run, fakeWorker } from './run-fixture';

function file(runs: RunResult[], failures: BenchFile['failures'] = [], seeds: number[] = [1]): BenchFile {
  const { algo: _algo, ...rest } = { ...DEFAULT_CONFIG, targetAccuracy: 0.85 };
  return {
    startedAt: '2025-03-04T05:06:07.890Z',
    config: { ...rest, algos: [...new Set(runs.map((r) => r.algo))], seeds },
    environment: FIXTURE_ENV,
    runs,
    failures,
  };
}

/** The main table's row for `algo`, split into cells (cells hold single spaces, columns two or more). */
function rowOf(text: string, algo: string): string[] | undefined {
  const table = text.split('\n\n').find((part) => part.startsWith('algo ') && part.includes('time to target (train)')) ?? '';
  return table
    .split('\n')
    .find((l) => l.startsWith(`${algo} `))
    ?.split(/\s{2,}/);
}

describe('renderTable', () => {
  it('pads columns to the widest cell and aligns them', () => {
    expect(renderTable(['a', 'num'], [['long', '1'], ['x', '12345']], ['left', 'right'])).toBe(
      ['a       num', '----  -----', 'long      1', 'x     12345'].join('\n'),
    );
  });
});

describe('formatTable with one seed', () => {
  const text = formatTable(
    file([
      run('biased', 2000),
      run('sync', 5000, { workers: [fakeWorker(0, { backend: 'wasm', requested: 'webgpu', stepMs: 12.34, tau: 1, steps: 100, busyMs: 1000, idleMs: 3000 })] }),
      run('local', null),
    ]),
  );

  it('says how many warm-up rounds came before the runs', () => {
    expect(formatTable({ ...file([run('biased', 2000)]), warmUpRounds: 3 })).toContain('; 3 warm-up round(s) before the runs, on no clock');
    expect(formatTable(file([run('biased', 2000)]))).not.toContain('warm-up');
  });

    it('prints the environment, the target and the seed', () => {
    expect(text).toContain('WebGPU adapter: google / swiftshader (fallback adapter, software)');
    expect(text).toContain('Cross-origin isolated: yes');
    expect(text).toContain('Target accuracy: 85.00%');
    expect(text).toContain('seed 1');
  });

  it('prints one row per algorithm with both clocks, plain values and the evaluation share of the wall clock', () => {
    // time to target train / wall, final accuracy, rounds, train s, eval s, eval / wall, (aggregate + exchange) / train, stopped by
    expect(rowOf(text, 'biased')).toEqual(['biased', '2.0 s', '3.0 s', '86.12%', '10', '4.0', '1.5', '30.0%', '5.0%', 'target']);
    expect(rowOf(text, 'local')).toEqual(['local', 'not reached', 'not reached', '86.12%', '10', '4.0', '1.5', '30.0%', '5.0%', 'time']);
    expect(text).toContain('time to target (train): the training clock');
  });

  it('prints per-worker backend, measured step time, tau and busy/idle shares', () => {
    const lines = text.split('\n');
    expect(lines).toContainEqual(expect.stringMatching(/^biased\s+1\s+wasm\s+40\.0\s+8\s+80\s+75\.0%\s+25\.0%$/));
    expect(lines).toContainEqual(expect.stringMatching(/^sync\s+0\s+wasm \(asked webgpu\)\s+12\.3\s+1\s+100\s+25\.0%\s+75\.0%$/));
  });

  it('marks an emulated step time with the time without the wait', () => {
    const slowed = run('biased', 2000, { workers: [fakeWorker(1, { stepMs: 62.8, measuredStepMs: 16.3, slowdown: 4 })] });
    expect(formatTable(file([slowed]))).toContain('62.8 (x4 emulated; 16.3 without the wait)');
  });

  it("prints each algorithm's samples a second and samples to the target, with no fast-only columns when fast-only did not run", () => {
    const part = text.split('Samples (')[1] ?? '';
    // biased: 12800 samples over 3.8 s of rounds, 3368 a second; the target at 2.0 s, 1.8 s of it rounds: 6.1k samples.
    expect(part).toMatch(/\nbiased\s+3368\s+6\.1k\n/);
    expect(part).toMatch(/\nlocal\s+3368\s+-/);
    expect(part).not.toContain('vs fast-only');
    const withFast = formatTable(file([run('biased', 2000), run('fast-only', 3000)])).split('Samples (')[1] ?? '';
    expect(withFast).toMatch(/\nbiased\s+3368\s+6\.1k\s+1\.00x\s+0\.64x\n/);
  });

  it('prints speed-ups vs sync on both clocks and between every pair', () => {
    expect(text).toContain('  biased: training clock 2.50x; wall clock 2.00x');
    expect(text).toContain('  local: not compared: the target was reached in 0/1 vs 1/1 runs');
    const matrix = text.split('Speed-up matrix')[1] ?? '';
    expect(matrix).toMatch(/\nbiased\s+-\s+2\.50x\s+1\/1 vs 0\/1 reached/);
    expect(matrix).toMatch(/\nsync\s+0\.40x\s+-/);
  });

  it("sets each algorithm's speed-up against sync's throughput limit, and says which it cannot", () => {
    const part = text.split("Against sync's throughput limit")[1]?.split('Speed-up matrix')[0] ?? '';
    // sync's one worker trained 10240 samples in 1 s busy, over 3.8 s of rounds: a limit of 3.80; biased trained
    // 12800 samples over its 3.8 s (1.25x sync's), reaching the target 2.50x sooner: 0.66 of the limit.
    expect(part).toMatch(/\nbiased\s+3\.80x\s+2\.50x\s+0\.66\s+1\.25x\n/);
    expect(part).toContain('not compared (a seed without a run of each, a run that missed the target, or one without rounds to rate): local');
  });

  it('prints the interval a coarse time to target lies in', () => {
    const coarse = run('biased', 25_700, { targetAfterMs: 12_900 });
    expect(rowOf(formatTable(file([coarse])), 'biased')?.[1]).toBe('25.7 s (in 12.9–25.7)');
    // Within 10%: the time alone.
    expect(rowOf(formatTable(file([run('biased', 25_700, { targetAfterMs: 24_000 })])), 'biased')?.[1]).toBe('25.7 s');
  });

  it('marks a run cut short of its epochs and does not print its accuracy as final', () => {
    const cut = run('sync', null, { cutShort: true, epochsDone: 0.26, stoppedBy: 'time', finalAccuracy: 0.8371 });
    expect(rowOf(formatTable(file([cut])), 'sync')?.[3]).toBe('83.71%, cut at 0.26 epoch (time cap)');
  });

  it('says when there is no target, no run, or a failure', () => {
    const noTarget = run('biased', null);
    noTarget.config.targetAccuracy = null;
    expect(rowOf(formatTable(file([noTarget])), 'biased')?.slice(1, 3)).toEqual(['no target', 'no target']);
    const empty = formatTable(file([], [{ algo: 'sync', seed: 1, message: 'run rejected: boom' }]));
    expect(empty).toContain('No run finished.');
    expect(empty).toContain('Failures:\n  sync: run rejected: boom');
  });

  it('does not print NaN for zero times', () => {
    const idle = run('biased', null, { trainMs: 0, wallMs: 0, workers: [fakeWorker(0, { stepMs: 0, busyMs: 0, idleMs: 0 })] });
    expect(formatTable(file([idle]))).not.toContain('NaN');
  });

  it('names a missing adapter and its error', () => {
    const f = file([run('biased', 1000)]);
    f.environment = { ...FIXTURE_ENV, adapter: null, adapterError: 'navigator.gpu is undefined', crossOriginIsolated: false };
    const out = formatTable(f);
    expect(out).toContain('WebGPU adapter: none (navigator.gpu is undefined)');
    expect(out).toContain('Cross-origin isolated: NO');
  });
});

describe('formatTable over seeds', () => {
  const seeds = [1, 2, 3];
  const runs = [
    ...[6100, 6800, 7400].map((t, i) => run('biased', t, { rounds: 9 + i, trainMs: 4000 + 500 * i }, seeds[i])),
    ...[90_000, null, 95_000].map((t, i) => run('sync', t, {}, seeds[i])),
    ...[6500, 8000, 9000].map((t, i) => run('local', t, {}, seeds[i])),
  ];
  const text = formatTable(file(runs, [{ algo: 'sync', seed: 2, message: 'page error: boom' }], seeds));

  it('gives the median and min–max of every column, and the number of runs', () => {
    // runs, train, wall, final accuracy, rounds, train s, eval s, eval / wall, agg+exch (median only), stopped by
    expect(rowOf(text, 'biased')).toEqual(['biased', '3', '6.8 s (6.1–7.4)', '7.8 s (7.1–8.4)', '86.12%', '10 (9–11)', '4.5 (4.0–5.0)', '1.5', '30.0%', '4.4%', 'target']);
    expect(text).toContain('Each cell: median (min–max) over 3 seeds (1, 2, 3)');
  });

  it('counts a seed that missed the target as not reached, and says how many reached it', () => {
    expect(rowOf(text, 'sync')?.[2]).toBe('95.0 s (90.0–not reached; 2/3 reached)');
    expect(rowOf(text, 'sync')?.at(-1)).toBe('target 2, time 1');
  });

  it('calls overlapping ranges a tie and names the seeds that missed instead of a ratio', () => {
    const matrix = text.split('Speed-up matrix')[1] ?? '';
    expect(matrix).toMatch(/\nbiased\s+-\s+3\/3 vs 2\/3 reached\s+tie\n/);
    expect(matrix).toMatch(/\nlocal\s+tie\s+3\/3 vs 2\/3 reached\s+-/);
    expect(text).toContain('  local: not compared: the target was reached in 3/3 vs 2/3 runs');
  });

  it('pairs the runs seed by seed, and gives no ratio where a seed missed the target', () => {
    const paired = text.split('Seed by seed, training clock')[1] ?? '';
    // biased 6.1, 6.8, 7.4 s against local 6.5, 8.0, 9.0 s: 1.07, 1.18 and 1.22 times sooner.
    expect(paired).toMatch(/\nbiased\s+-\s+-\s+1\.18x \(1\.07–1\.22\)\n/);
    expect(paired).toMatch(/\nlocal\s+0\.85x \(0\.82–0\.94\)\s+-\s+-/);
    // A seed the row lacks (its run failed) leaves no ratio either way; one seed has no comparison to draw.
    const lacking = formatTable(file([run('biased', 6100, {}, 1), run('sync', 7000, {}, 1), run('sync', 7000, {}, 2)], [], [1, 2]));
    expect(lacking.split('Seed by seed')[1]).toMatch(/\nbiased\s+-\s+-\n/);
    expect(formatTable(file([run('biased', 6100), run('sync', 7000)]))).not.toContain('Seed by seed');
  });

  it('gives the widest coarse interval over the seeds in a footnote', () => {
    const coarse = [10_000, 11_000, 12_000].map((t, i) => run('biased', t, { targetAfterMs: i === 1 ? 5_500 : t * 0.95 }, seeds[i]));
    const out = formatTable(file(coarse, [], seeds));
    expect(rowOf(out, 'biased')?.[2]).toBe('11.0 s (10.0–12.0) †');
    expect(out).toContain('† biased: the evaluations bracket the crossing loosely: it may lie up to 50% of the time shown before it');
  });

  it('summarises each worker over the seeds, and names the seed of a failure', () => {
    const workers = [30, 40, 45].map((stepMs, i) =>
      run('biased', 6000, { workers: [fakeWorker(1, { stepMs, measuredStepMs: stepMs / 4, slowdown: 4, tau: 8 + i, busyMs: 3000, idleMs: 1000 })] }, seeds[i]),
    );
    const row = formatTable(file(workers, [], seeds))
      .split('\n')
      .find((l) => /^biased\s+1\s+wasm /.test(l));
    // step ms, tau, steps, busy, idle
    expect(row?.split(/\s{2,}/).slice(3)).toEqual(['40.0 (30.0–45.0) (x4 emulated; 10.0 without the wait)', '9 (8–10)', '320', '75.0%', '25.0%']);
    expect(text).toContain('Failures:\n  sync seed 2: page error: boom');
  });
});

describe('baselineTable', () => {
  it('names the model and dataset timed and gives GFLOP/s from the step FLOPs training computes', () => {
    const out = baselineTable([
      { id: 1, backend: 'wasm', model: 'mlp', dataset: 'mnist', tandemStepMs: 2, bareStepMs: 4, flopsPerStep: 10e6 },
    ]);
    const row = out.split('\n').at(-1) ?? '';
    expect(row).toMatch(/^\s*1\s+wasm\s+mlp\s+mnist\s+2\.0\s+4\.0\s+50\.0%\s+5\.00$/);
  });
});

describe('the whole test set\'s evaluation', () => {
  it('gives its time per evaluation beside its slowest slice, and skips results that lack the figures', () => {
    const text = formatTable(
      file(
        [
          run('biased', 2000, { wholeTestSet: { evaluations: 3, workers: 2, meanMs: 316, meanSliceMs: 270 } }, 1),
          run('biased', 2100, { wholeTestSet: { evaluations: 2, workers: 2, meanMs: 330, meanSliceMs: 280 } }, 2),
          run('sync', 5000, { wholeTestSet: null }, 1),
        ],
        [],
        [1, 2],
      ),
    );
    expect(text).toContain('biased: the whole test set took 323.0 (316.0–330.0) ms per evaluation on 2 worker(s), its slowest slice 275.0 (270.0–280.0) ms');
    expect(text).toContain('(mean over 5 evaluations;');
    expect(text).not.toContain('sync: the whole test set');
  });
});

describe('the pool the runs trained on', () => {
  it('says what was started, each verdict, and the one pool every algorithm trained on', () => {
    const text = formatTable({
      ...file([run('biased', 2000), run('sync', 5000)]),
      pool: {
        asked: [],
        kept: [{ backend: 'wasm', count: 2 }],
        notes: ['worker 0 (webgpu) parked: the pool trains 2.57x the samples per second without it (5914 vs 2304 samples/s); it did 1.1% of them'],
        measureMs: 3140,
      },
    });
    expect(text).toContain('Pool: auto started; measured with and without its least contributing workers:\n  worker 0 (webgpu) parked: the pool trains 2.57x');
    expect(text).toContain('Every algorithm trained on wasm:2 (parking off during the runs, so all compare on one pool). Deciding took 3.1 s');
    expect(formatTable(file([run('biased', 2000)]))).not.toContain('Pool:');
  });
});

describe('formatTable on text', () => {
  it('gives a text model bits per character (the final test loss / ln 2) beside its accuracy; image runs have no such column', () => {
    const text = { ...DEFAULT_CONFIG, dataset: 'moby-dick', model: 'transformer' as const, targetAccuracy: 0.5 };
    const runs = [1, 2, 3].map((seed) => run('biased', 4000, { config: { ...text, algo: 'biased', seed }, finalAccuracy: 0.55, finalLoss: (1.9 + seed / 10) * Math.LN2 }, seed));
    const out = formatTable(file(runs, [], [1, 2, 3]));
    expect(out).toContain('bits/char');
    expect(rowOf(out, 'biased')).toContain('2.100 (2.000–2.200)');
    expect(formatTable(file([run('biased', 4000)]))).not.toContain('bits/char');
  });
});
