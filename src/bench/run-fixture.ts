/**
 * Hand-made run results for the benchmark's report tests (not a test file
 * itself: report, summary and paper-report tests share it).
 */
import { DEFAULT_CONFIG, type Algo } from '../core/config';
import type { EnvironmentInfo, RunResult, WorkerSummary } from '../protocol';

export const FIXTURE_ENV: EnvironmentInfo = {
  userAgent: 'HeadlessChrome/140',
  adapter: { vendor: 'google', architecture: 'swiftshader', device: '', description: '', isFallbackAdapter: true },
  adapterError: null,
  crossOriginIsolated: true,
  sharedArrayBuffer: true,
  wasmSimd: true,
  wasmThreads: 1,
  hardwareConcurrency: 2,
};

export function fakeWorker(id: number, extra: Partial<WorkerSummary> = {}): WorkerSummary {
  return { id, backend: 'wasm', requested: 'wasm', stepMs: 10, measuredStepMs: 10, slowdown: 1, tau: 32, steps: 320, samples: 10240, busyMs: 3000, idleMs: 1000, left: null, parked: null, ...extra };
}

/**
 * A run of `algo` that reached the 85% target at `timeToTargetMs` on the
 * training clock (null: never), its previous evaluation 5% earlier (a tight
 * interval) and the wall clock 1 s later.
 */
export function fakeRun(algo: Algo, timeToTargetMs: number | null, extra: Partial<RunResult> = {}, seed = 1): RunResult {
  return {
    algo,
    config: { ...DEFAULT_CONFIG, algo, targetAccuracy: 0.85, seed },
    workers: [
      fakeWorker(0, { backend: 'webgpu', requested: 'webgpu', busyMs: 3200, idleMs: 0 }),
      fakeWorker(1, { stepMs: 40, measuredStepMs: 40, tau: 8, steps: 80, samples: 2560, busyMs: 2400, idleMs: 800 }),
    ],
    emulated: false,
    roundsPerEpoch: 10,
    rounds: 10,
    wallMs: 5000,
    trainMs: 4000,
    profileMs: 200,
    evalMs: 1500,
    wholeTestSet: { evaluations: 1, workers: 2, meanMs: 300, meanSliceMs: 260 },
    aggregateMs: 100,
    exchangeMs: 100,
    timeToTargetMs,
    targetAfterMs: timeToTargetMs === null ? null : timeToTargetMs * 0.95,
    wallTimeToTargetMs: timeToTargetMs === null ? null : timeToTargetMs + 1000,
    epochsDone: 1,
    cutShort: false,
    finalAccuracy: 0.8612,
    finalLoss: null,
    aggregation: 'steps',
    stoppedBy: timeToTargetMs === null ? 'time' : 'target',
    message: null,
    history: [{ round: 1, trainMs: 400, loss: 1.2, accuracy: 0.6 }],
    ...extra,
  };
}
