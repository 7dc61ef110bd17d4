import { describe, expect, it } from 'vitest';
import { validateConfig } from '../core/config';
import type { RoundEvent, RunResult, WorkerInfo, WorkerRoundStats, WorkerSummary } from '../protocol';
import {
  accuracyPoints,
  finishedText,
  lossPoints,
  modelJson,
  parkedWhy,
  poolLabel,
  runCsv,
  runJson,
  runLabel,
  stepsPerSecond,
  stoppedByText,
  timeline,
  workerSeries,
  workersText,
  type RunRecord,
} from './run-data';

function worker(id: number, backend: 'webgpu' | 'wasm', over: Partial<WorkerRoundStats> = {}): WorkerRoundStats {
  return { id, backend, tau: 4, steps: 4, samples: 128, busyMs: 400, idleMs: 100, stepMs: 100, biased: false, tensors: 10, parked: null, ...over };
}

function round(n: number, over: Partial<RoundEvent> = {}): RoundEvent {
  return {
    round: n,
    wallMs: n * 1000,
    trainMs: n * 800,
    roundMs: 500,
    loss: 1 / n,
    accuracy: n % 2 === 0 ? 0.5 + n / 100 : null,
    fullAccuracy: null,
    testLoss: null,
    probes: [],
    evalMs: 200,
    aggregateMs: 1,
    exchangeMs: 2,
    notes: [],
    workers: [worker(0, 'webgpu', { tau: 1, steps: 1, busyMs: 450, idleMs: 50 }), worker(1, 'wasm', { busyMs: 500, idleMs: 0 })],
    ...over,
  };
}

const events = [round(1), round(2), round(3), round(4)];

/** The engine's verdict for a parked worker (src/orchestrator/pool-check.ts words it). */
const VERDICT =
  'worker 0 (webgpu) parked: the pool trains 2.57x the samples per second without it (5914 vs 2304 samples/s); it did 1.1% of them';

/** A parked worker's entry in a round event: no budget, no work, and why. */
function parked(id: number, backend: 'webgpu' | 'wasm', reason = VERDICT): WorkerRoundStats {
  return worker(id, backend, { tau: 0, steps: 0, samples: 0, busyMs: 0, idleMs: 0, parked: reason });
}

/** Round 1 on the whole pool; rounds 2 and 3 with worker 0 parked. */
const parkedEvents = [
  round(1),
  round(2, { workers: [parked(0, 'webgpu'), worker(1, 'wasm')] }),
  round(3, { workers: [parked(0, 'webgpu'), worker(1, 'wasm')] }),
];

describe('chart series', () => {
  it('puts accuracy in percent against the chosen clock, skipping unevaluated rounds', () => {
    expect(accuracyPoints(events, 'wall')).toEqual([[2, 4], [52, 54]]);
    expect(accuracyPoints(events, 'train')).toEqual([[1.6, 3.2], [52, 54]]);
  });

  it('drops non-finite losses', () => {
    const [xs, ys] = lossPoints([round(1), round(2, { loss: Number.NaN })], 'wall');
    expect(xs).toEqual([1]);
    expect(ys).toEqual([1]);
  });

  it('computes steps per second from busy time', () => {
    expect(stepsPerSecond({ steps: 4, busyMs: 400 })).toBe(10);
    expect(stepsPerSecond({ steps: 0, busyMs: 0 })).toBeNull();
  });

  it('gives each worker its tau and speed by round, with gaps where it did not run', () => {
    const s = workerSeries([round(1), round(2, { workers: [worker(1, 'wasm')] })]);
    expect(s.ids).toEqual([0, 1]);
    expect(s.labels).toEqual(['w0 webgpu', 'w1 wasm']);
    expect(s.rounds).toEqual([1, 2]);
    expect(s.tau).toEqual([[1, null], [4, 4]]);
    expect(s.stepsPerSecond[0]?.[0]).toBeCloseTo(1 / 0.45);
  });
});

describe('parked workers on the worker charts', () => {
  it('keeps a parked worker, marks its rounds and says so in its label', () => {
    const s = workerSeries(parkedEvents);
    expect(s.ids).toEqual([0, 1]);
    expect(s.labels).toEqual(['w0 webgpu (parked)', 'w1 wasm']);
    expect(s.parked).toEqual([
      [false, true, true],
      [false, false, false],
    ]);
    expect(s.parkedNow).toEqual([true, false]);
    // Given no steps while parked, and no speed: it did no work.
    expect(s.tau[0]).toEqual([1, 0, 0]);
    expect(s.stepsPerSecond[0]?.slice(1)).toEqual([null, null]);
    expect(s.stepsPerSecond[1]?.[2]).toBe(10);
  });

  it('drops the mark once the worker trains again, keeping where it was parked', () => {
    const s = workerSeries([...parkedEvents, round(4)]);
    expect(s.labels[0]).toBe('w0 webgpu');
    expect(s.parkedNow).toEqual([false, false]);
    expect(s.parked[0]).toEqual([false, true, true, false]);
  });

  it('shortens a verdict to its reason where the worker is already named', () => {
    expect(parkedWhy(VERDICT)).toBe('the pool trains 2.57x the samples per second without it (5914 vs 2304 samples/s); it did 1.1% of them');
    expect(parkedWhy('worker 12 (wasm) parked: slower')).toBe('slower');
    expect(parkedWhy('kept out by hand')).toBe('kept out by hand');
  });
});

describe('timeline', () => {
  it('is null with no rounds', () => {
    expect(timeline([], 10)).toBeNull();
  });

  it('sizes rounds by duration and splits each into busy and idle', () => {
    const t = timeline([round(1), round(2, { roundMs: 1500, workers: [worker(0, 'webgpu', { busyMs: 300, idleMs: 1200 })] })], 10);
    expect(t?.firstRound).toBe(1);
    expect(t?.lastRound).toBe(2);
    const row = t?.rows[0];
    expect(row?.segments.map((s) => s.width)).toEqual([0.25, 0.75]);
    expect(row?.segments[0]?.busy).toBeCloseTo(0.9);
    expect(row?.idle).toBeCloseTo((50 + 1200) / 2000);
    // Worker 1 did not run in round 2: an empty block.
    expect(t?.rows[1]?.segments[1]).toMatchObject({ busy: 0, busyMs: 0, idleMs: 0 });
  });

  it('keeps only the last rounds', () => {
    expect(timeline(events, 2)?.firstRound).toBe(3);
  });

  it('keeps a parked worker as a row of parked blocks, not idle ones', () => {
    const t = timeline(parkedEvents, 10);
    const row = t?.rows[0];
    expect(t?.rows.map((r) => r.id)).toEqual([0, 1]);
    expect(row?.parked).toBe(VERDICT);
    expect(row?.parkedRounds).toBe(2);
    expect(row?.segments.map((x) => x.parked)).toEqual([false, true, true]);
    expect(row?.segments[1]).toMatchObject({ busy: 0, busyMs: 0, idleMs: 0 });
    // Its idle share counts only the round it trained in.
    expect(row?.idle).toBeCloseTo(50 / 500);
    expect(t?.rows[1]).toMatchObject({ parked: null, parkedRounds: 0 });
    expect(t?.rows[1]?.segments.some((x) => x.parked)).toBe(false);
  });

  it('says a worker trains again when its last shown round was not parked', () => {
    const row = timeline([...parkedEvents, round(4)], 10)?.rows[0];
    expect(row?.parked).toBeNull();
    expect(row?.parkedRounds).toBe(2);
    expect(row?.tau).toBe(1);
  });
});

describe('exports', () => {
  const config = validateConfig({ algo: 'biased', workers: 'webgpu:1,wasm:2', tauFast: 16, lambda: 0.5 });
  const record: RunRecord = { n: 3, config, events, workers: [], result: null, error: null };

  it('labels a run by algorithm and key knobs', () => {
    expect(runLabel(record)).toBe('#3 biased · webgpu:1,wasm:2 · τF 16 · λ 0.5');
    expect(runLabel({ n: 1, config: validateConfig({ algo: 'sync' }), result: null })).not.toContain('λ');
    expect(runLabel({ n: 2, config: null, result: null })).toBe('#2 run');
    // A sweep's trial is labelled by what it varies.
    expect(runLabel({ ...record, sweep: 'biased seed=2 tauFast=16' })).toBe('#3 biased seed=2 tauFast=16');
  });

  it('names what auto started and who is parked, from the result once finished', () => {
    const summary = (id: number, backend: 'webgpu' | 'wasm', over: Partial<WorkerSummary> = {}): WorkerSummary => ({
      id, backend, requested: backend, stepMs: 10, measuredStepMs: 10, slowdown: 1, tau: 4, steps: 40, samples: 1280, busyMs: 400, idleMs: 0,
      left: null, parked: null, ...over,
    });
    const result = {
      config: validateConfig({ algo: 'local', workers: 'webgpu:1,wasm:2', tauFast: 8 }),
      workers: [summary(0, 'webgpu', { parked: VERDICT }), summary(1, 'wasm'), summary(2, 'wasm', { left: 'device lost', parked: 'x' })],
    } as RunResult;
    const asked = validateConfig({ algo: 'local', workers: 'auto', tauFast: 8 });
    expect(runLabel({ n: 4, config: asked, result })).toBe('#4 local · auto: webgpu:1,wasm:2 · w0 webgpu parked · τF 8');
    // A worker that left is not counted as parked.
    expect(poolLabel({ config: null, result })).toEqual(['webgpu:1,wasm:2', 'w0 webgpu parked']);
    expect(workersText(result.workers)).toBe('webgpu (parked), wasm, wasm (left)');
  });

  it('names what auto started and who is parked, from the live workers while running', () => {
    const info = (id: number, backend: 'webgpu' | 'wasm', role: WorkerInfo['role'], why: string | null = null): WorkerInfo => ({
      id, requested: backend, backend, stepMs: 10, role, parked: why,
      report: { requested: backend, backend, failures: [], adapter: null, wasm: null, tfBackend: backend },
    });
    const asked = validateConfig({ workers: 'auto' });
    expect(poolLabel({ config: asked, result: null })).toEqual(['auto']);
    const workers = [info(0, 'webgpu', 'parked', VERDICT), info(1, 'wasm', 'fast'), info(2, 'wasm', 'slow')];
    expect(poolLabel({ config: asked, result: null, workers })).toEqual(['auto: webgpu:1,wasm:2', 'w0 webgpu parked']);
    expect(poolLabel({ config: asked, result: null, workers: workers.slice(1) })).toEqual(['auto: wasm:2']);
  });

  it('writes JSON holding every round event', () => {
    const parsed = JSON.parse(runJson(record)) as { events: RoundEvent[]; config: { tauFast: number } };
    expect(parsed.events).toHaveLength(4);
    expect(parsed.config.tauFast).toBe(16);
  });

  it('writes one CSV row per round with per-worker columns', () => {
    const lines = runCsv(record).trimEnd().split('\n');
    expect(lines).toHaveLength(5);
    const header = lines[0]?.split(',') ?? [];
    expect(header.slice(0, 6)).toEqual(['round', 'wallMs', 'trainMs', 'roundMs', 'loss', 'accuracy']);
    expect(header).toContain('w0_webgpu_tau');
    expect(header).toContain('w1_wasm_idleMs');
    const first = lines[1]?.split(',') ?? [];
    expect(first[header.indexOf('accuracy')]).toBe('');
    expect(first[header.indexOf('w1_wasm_stepsPerSecond')]).toBe('8');
    expect(lines[2]?.split(',')[header.indexOf('accuracy')]).toBe('0.52');
    expect(first[header.indexOf('w0_webgpu_parked')]).toBe('');
  });

  it('writes why a worker was parked in its CSV column, quoted when it holds a comma', () => {
    const why = 'worker 0 (webgpu) parked: slower, by "2.57x"';
    const csv = runCsv({ events: [round(1), round(2, { workers: [parked(0, 'webgpu', why), worker(1, 'wasm')] })] })
      .trimEnd()
      .split('\n');
    const header = csv[0]?.split(',') ?? [];
    const parkedAt = header.indexOf('w0_webgpu_parked');
    expect(parkedAt).toBeGreaterThan(0);
    expect(csv[1]?.split(',')[parkedAt]).toBe('');
    expect(csv[2]).toContain('"worker 0 (webgpu) parked: slower, by ""2.57x"""');
  });

  it('writes model.json in the tfjs layers format', () => {
    const json = JSON.parse(
      modelJson(
        {
          modelTopology: { class_name: 'Sequential' },
          weightSpecs: [{ name: 'dense/kernel', shape: [2, 2], dtype: 'float32' }],
          format: 'layers-model',
          generatedBy: 'tandem',
          convertedBy: null,
        },
        'tandem-model.weights.bin',
      ),
    ) as Record<string, unknown>;
    expect(json['weightsManifest']).toEqual([
      { paths: ['tandem-model.weights.bin'], weights: [{ name: 'dense/kernel', shape: [2, 2], dtype: 'float32' }] },
    ]);
    expect(json['format']).toBe('layers-model');
    expect(json['modelTopology']).toEqual({ class_name: 'Sequential' });
  });
});

describe('status text', () => {
  const result = (over: Partial<RunResult>): RunResult => ({
    algo: 'biased',
    config: validateConfig({}),
    workers: [],
    rounds: 12,
    wallMs: 9000,
    trainMs: 7250,
    evalMs: 1000,
    wholeTestSet: null,
    profileMs: 0,
    aggregateMs: 1,
    exchangeMs: 1,
    timeToTargetMs: null,
    targetAfterMs: null,
    wallTimeToTargetMs: null,
    epochsDone: 1,
    cutShort: false,
    finalAccuracy: 0.8123,
    finalLoss: null,
    aggregation: 'steps',
    emulated: false,
    roundsPerEpoch: 10,
    stoppedBy: 'user',
    message: null,
    history: [],
    ...over,
  });

  it('says how a run ended, in the words the page and its tests read', () => {
    expect(finishedText(1, result({}))).toBe(
      'Run #1 finished (stopped) after 12 rounds, 7.3 s of training; final accuracy on the whole test set 81.2%.',
    );
    expect(finishedText(null, result({ stoppedBy: 'target', timeToTargetMs: 5000, message: 'Note.' }))).toBe(
      'Run #? finished (target accuracy reached) after 12 rounds, 7.3 s of training; final accuracy on the whole test set 81.2%; ' +
        'target reached at 5.0 s. Note.',
    );
  });

  it('names every way a run can end', () => {
    const ends = (['target', 'time', 'rounds', 'epochs', 'user', 'diverged'] as const).map(stoppedByText);
    expect(ends).toContain('round limit reached');
    expect(new Set(ends).size).toBe(ends.length);
  });
});
