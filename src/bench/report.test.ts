import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type Algo } from '../core/config';
import type { EnvironmentInfo, RunResult } from '../protocol';
import { baselineTable, formatTable, renderTable, speedup, type BenchFile } from './report';

const ENV: EnvironmentInfo = {
  userAgent: 'HeadlessChrome/140',
  adapter: {
    vendor: 'google',
    architecture: 'swiftshader',
    device: '',
    description: '',
    isFallbackAdapter: true,
  },
  adapterError: null,
  crossOriginIsolated: true,
  sharedArrayBuffer: true,
  wasmSimd: true,
  wasmThreads: 1,
  hardwareConcurrency: 2,
};

function run(algo: Algo, timeToTargetMs: number | null, extra: Partial<RunResult> = {}): RunResult {
  return {
    algo,
    config: { ...DEFAULT_CONFIG, algo, targetAccuracy: 0.85 },
    workers: [
      { id: 0, backend: 'webgpu', requested: 'webgpu', stepMs: 10, measuredStepMs: 10, slowdown: 1, tau: 32, steps: 320, samples: 10240, busyMs: 3200, idleMs: 0, left: null },
      { id: 1, backend: 'wasm', requested: 'wasm', stepMs: 40, measuredStepMs: 40, slowdown: 1, tau: 8, steps: 80, samples: 2560, busyMs: 2400, idleMs: 800, left: null },
    ],
    rounds: 10,
    wallMs: 5000,
    trainMs: 4000,
    evalMs: 1500,
    aggregateMs: 100,
    exchangeMs: 100,
    timeToTargetMs,
    finalAccuracy: 0.8612,
    aggregation: 'steps',
    emulated: false,
    roundsPerEpoch: 10,
    stoppedBy: timeToTargetMs === null ? 'time' : 'target',
    message: null,
    history: [{ round: 1, trainMs: 400, loss: 1.2, accuracy: 0.6 }],
    ...extra,
  };
}

function file(runs: RunResult[], failures: BenchFile['failures'] = []): BenchFile {
  const { algo: _algo, ...rest } = { ...DEFAULT_CONFIG, targetAccuracy: 0.85 };
  return {
    startedAt: '2025-03-04T05:06:07.890Z',
    config: { ...rest, algos: runs.map((r) => r.algo) },
    environment: ENV,
    runs,
    failures,
  };
}

describe('renderTable', () => {
  it('pads columns to the widest cell and aligns them', () => {
    expect(renderTable(['a', 'num'], [['long', '1'], ['x', '12345']], ['left', 'right'])).toBe(
      ['a       num', '----  -----', 'long      1', 'x     12345'].join('\n'),
    );
  });
});

describe('speedup', () => {
  it('divides the other time by this one, null unless both reached the target', () => {
    expect(speedup(run('biased', 2000), run('sync', 5000))).toBe(2.5);
    expect(speedup(run('biased', 2000), run('sync', null))).toBeNull();
    expect(speedup(run('biased', null), run('sync', 5000))).toBeNull();
  });
});

describe('formatTable', () => {
  const text = formatTable(
    file([
      run('biased', 2000),
      run('sync', 5000, {
        workers: [{ id: 0, backend: 'wasm', requested: 'webgpu', stepMs: 12.34, measuredStepMs: 12.34, slowdown: 1, tau: 1, steps: 100, samples: 3200, busyMs: 1000, idleMs: 3000, left: null }],
      }),
      run('local', null),
    ]),
  );

  it('prints the environment', () => {
    expect(text).toContain('WebGPU adapter: google / swiftshader (fallback adapter, software)');
    expect(text).toContain('Cross-origin isolated: yes');
    expect(text).toContain('Target accuracy: 85.00%');
  });

  it('prints one row per algorithm', () => {
    const row = (algo: string) => text.split('\n').find((l) => l.startsWith(`${algo} `) && l.includes('stopped') === false && /\d+\.\d s|not reached/.test(l));
    // time to target, final accuracy, rounds, train s, eval s, (aggregate + exchange) / train time, stopped by
    expect(row('biased')?.split(/\s{2,}/)).toEqual(['biased', '2.0 s', '86.12%', '10', '4.0', '1.5', '5.0%', 'target']);
    expect(row('local')?.split(/\s{2,}/)).toEqual(['local', 'not reached', '86.12%', '10', '4.0', '1.5', '5.0%', 'time']);
  });

  it('prints per-worker backend, step time, tau and busy/idle shares', () => {
    const lines = text.split('\n');
    expect(lines).toContainEqual(expect.stringMatching(/^biased\s+1\s+wasm\s+40\.0\s+8\s+80\s+75\.0%\s+25\.0%$/));
    expect(lines).toContainEqual(expect.stringMatching(/^sync\s+0\s+wasm \(asked webgpu\)\s+12\.3\s+1\s+100\s+25\.0%\s+75\.0%$/));
  });

  it('prints speed-ups vs sync and between every pair', () => {
    expect(text).toContain('  biased: 2.50x');
    expect(text).toContain('  local: n/a (target not reached by both)');
    const matrix = text.split('Speed-up matrix')[1] ?? '';
    expect(matrix).toMatch(/\nbiased\s+-\s+2\.50x\s+n\/a/);
    expect(matrix).toMatch(/\nsync\s+0\.40x\s+-\s+n\/a/);
  });

  it('says when there is no target, no run, or a failure', () => {
    const noTarget = run('biased', null);
    noTarget.config.targetAccuracy = null;
    expect(formatTable(file([noTarget]))).toContain('no target');
    const empty = formatTable(file([], [{ algo: 'sync', message: 'run rejected: boom' }]));
    expect(empty).toContain('No run finished.');
    expect(empty).toContain('Failures:\n  sync: run rejected: boom');
  });

  it('does not print NaN for zero times', () => {
    const idle = run('biased', null, { trainMs: 0, workers: [{ id: 0, backend: 'cpu', requested: 'cpu', stepMs: 0, measuredStepMs: 0, slowdown: 1, tau: 1, steps: 0, samples: 0, busyMs: 0, idleMs: 0, left: null }] });
    expect(formatTable(file([idle]))).not.toContain('NaN');
  });

  it('names a missing adapter and its error', () => {
    const f = file([run('biased', 1000)]);
    f.environment = { ...ENV, adapter: null, adapterError: 'navigator.gpu is undefined', crossOriginIsolated: false };
    const out = formatTable(f);
    expect(out).toContain('WebGPU adapter: none (navigator.gpu is undefined)');
    expect(out).toContain('Cross-origin isolated: NO');
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
