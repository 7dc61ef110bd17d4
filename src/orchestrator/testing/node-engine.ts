/**
 * Fixtures for orchestrator tests in Node: small slices of the embedded
 * Fashion-MNIST read through the real reader, an Engine over in-thread
 * trainers on the tfjs cpu backend, and ways to wait for its events.
 *
 * Every trainer of a test file shares one tfjs engine, whose variable names
 * are global (`w0/...`): an engine's trainers must be released (`close()`)
 * before another engine starts trainers with the same ids.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import type { Checkpoint } from '../../checkpoint/format';
import type { ModelName, RunConfig } from '../../core/config';
import type { ImageDataset } from '../../data/dataset-file';
import { buildTextDataset } from '../../data/text';
import { loadDataset, type LoadedDataset } from '../../data/sources';
import type { BackendReport, EngineEvent, RoundEvent, RunPhase, RunResult } from '../../protocol';
import type { SharedViews } from '../../shared-memory/layout';
import type { BackendStarter } from '../../workers/trainer-core';
import { Engine } from '../engine';
import { inProcessWorkers, type FaultPlan } from '../in-process-worker';
import type { TrainerCalls, WorkerFactory, WorkerHandle } from '../worker-handle';
import { asError } from '../../core/errors';

/** The embedded set, sliced: enough to learn in a few rounds, small enough for seconds. */
export const FASHION = 'fashion-mnist';
export const FASHION_TRAIN = 512;
export const FASHION_TEST = 256;

/**
 * A set smaller than one worker's round (B * tau_i): 40 training images.
 * Named as an `idx:` spec only because run configs accept dataset specs;
 * the loader below serves it from memory.
 */
export const TINY = 'idx:tandem-test-tiny/';
export const TINY_TRAIN = 40;
export const TINY_TEST = 20;

const DATA_DIR = fileURLToPath(new URL('../../../public/data/', import.meta.url));

/** Starts the tfjs cpu backend in this thread, as a trainer's backend. */
export const cpuBackend: BackendStarter = async (_id, backend): Promise<BackendReport> => {
  await tf.setBackend('cpu');
  return { requested: backend, backend: 'cpu', failures: [], adapter: null, wasm: null, tfBackend: tf.getBackend() };
};

/**
 * The cpu backend, reported as the backend asked for: workers the engine
 * tells apart by backend (per-backend settings) while every one computes on
 * the cpu in this thread.
 */
export const namedCpuBackend: BackendStarter = async (id, backend, ...rest): Promise<BackendReport> => ({
  ...(await cpuBackend(id, backend, ...rest)),
  backend,
});

/** Reads public/data files from disk as the page would fetch them; null for a missing file (a 404). */
async function fetchFromDisk(url: string): Promise<Uint8Array | null> {
  if (!url.startsWith(DATA_DIR)) throw new Error(`Test fetch outside ${DATA_DIR}: ${url}.`);
  try {
    return new Uint8Array(await readFile(url));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

function slice(set: ImageDataset, count: number): ImageDataset {
  if (count > set.count) throw new Error(`Cannot take ${count} images of ${set.name}: it has ${set.count}.`);
  const size = set.height * set.width * set.channels;
  return {
    ...set,
    name: `${set.name}[0:${count}]`,
    count,
    images: set.images.slice(0, count * size),
    labels: set.labels.slice(0, count),
  };
}

let slices: Promise<Record<string, LoadedDataset>> | null = null;

/** The full file is read and split once per test file (the split is shuffled, so any prefix has every class). */
function loadSlices(): Promise<Record<string, LoadedDataset>> {
  slices ??= loadDataset({ kind: 'fashion-mnist', location: null }, fetchFromDisk, DATA_DIR).then((full) => ({
    [FASHION]: { ...full, train: slice(full.train, FASHION_TRAIN), test: slice(full.test, FASHION_TEST) },
    [TINY]: { ...full, id: TINY, train: slice(full.train, TINY_TRAIN), test: slice(full.test, TINY_TEST) },
  }));
  return slices;
}

/**
 * A small text for the transformer: a few sentences repeated with a counter,
 * so it has structure to learn in seconds and enough windows for both splits.
 * Named as a `text:` spec; the loader below builds it in memory.
 */
export const TEXT = 'text:tandem-test.txt';
const TEXT_BODY = Array.from({ length: 120 }, (_, i) => `the ${['cat', 'dog', 'whale', 'ship'][i % 4]} sat on the mat number ${i % 10}.\n`).join('');

/** The engine's DatasetLoader for FASHION, TINY and TEXT. */
export async function testDatasets(id: string, options: { contextLength: number } = { contextLength: 16 }): Promise<LoadedDataset> {
  if (id === TEXT) {
    const { train, test, textInfo } = buildTextDataset(new TextEncoder().encode(TEXT_BODY), { file: 'tandem-test.txt', name: TEXT, contextLength: options.contextLength });
    return { id: TEXT, train, test, classNames: textInfo.vocabulary, textInfo };
  }
  const set = (await loadSlices())[id];
  if (!set) throw new Error(`Unknown test dataset ${JSON.stringify(id)}. Allowed: ${FASHION}, ${TINY}, ${TEXT}.`);
  return set;
}

/**
 * A run that takes a second or two on the cpu backend: an MLP, batches of 16,
 * two workers, the fewest profiling steps allowed, evaluation on the whole
 * test slice every round.
 */
export const SMALL_RUN: Readonly<Partial<RunConfig>> = Object.freeze<Partial<RunConfig>>({
  dataset: FASHION,
  model: 'mlp',
  workers: [{ backend: 'cpu', count: 2 }],
  batchSize: 16,
  tauFast: 4,
  learningRate: 0.05,
  momentum: 0.9,
  warmupSteps: 0,
  profileSteps: 1,
  evalSamples: FASHION_TEST,
  evalEvery: 1,
  maxRounds: 4,
  maxSeconds: 120,
  augmentation: 'off',
  checkpointEvery: 0,
  // In-thread trainers share one thread: measured with or without each other they train alike, so parking would be a coin toss.
  parking: 'off',
  // Every evaluation the cadence asks for happens, whatever it costs next to these tiny rounds.
  maxEvalShare: 0,
  seed: 7,
});

export interface NodeEngineOptions {
  /** Each worker reports the backend it asked for (all compute on the cpu): for per-backend settings. */
  nameBackends?: boolean;
  /** Trainer calls to replace, per worker id (to make a worker fail on purpose). */
  faults?: FaultPlan;
  onCheckpoint?: (checkpoint: Checkpoint) => Promise<void> | void;
  /**
   * The step time (ms) trainer `worker` reports for `round` (0: profiling)
   * in place of the one it measured: devices of known speeds, without
   * sleeping. Needed because in-thread trainers share one thread: a slowdown
   * rule's sleep stalls all of them alike, and their measured step times
   * then cannot tell a slowed worker from the others.
   */
  stepTimes?: (worker: number, round: number) => number;
  /**
   * Milliseconds trainer `worker` waits (without holding the thread) before
   * each part of local round `round`: a device whose step takes that much
   * longer while the others go on stepping.
   */
  roundDelayMs?: (worker: number, round: number) => number;
  /**
   * Called when trainer `worker` has done its part of local round `round`,
   * before the engine sees its report: the round is still in progress.
   */
  afterRunRound?: (worker: number, round: number) => void;
}

export interface NodeEngine {
  engine: Engine;
  /** Every event since the engine was made, in order. */
  events: EngineEvent[];
  /** Round events since the engine was made. */
  rounds(): RoundEvent[];
  /** Phases entered since the engine was made. */
  phases(): RunPhase[];
  /** The shared memory of `model` on `dataset` (the same one the engine's runs use). */
  views(dataset?: string, model?: ModelName): Promise<SharedViews>;
  /** Trainers started so far (a run on the same pool starts none). */
  starts(): number;
  /** Ends every trainer this engine started (their tfjs variables are freed). */
  close(): void;
}

/** An Engine over in-thread cpu trainers and the test datasets. */
export function nodeEngine(options: NodeEngineOptions = {}): NodeEngine {
  const started: WorkerHandle[] = [];
  let starts = 0;
  const inner = inProcessWorkers(options.nameBackends ? namedCpuBackend : cpuBackend, options.faults);
  const startWorker: WorkerFactory = async (...args) => {
    const handle = await inner(...args);
    started.push(handle);
    starts++;
    return options.stepTimes || options.afterRunRound || options.roundDelayMs ? instrumented(handle, options) : handle;
  };
  const engine = new Engine(testDatasets, {
    startWorker,
    ...(options.onCheckpoint ? { onCheckpoint: options.onCheckpoint } : {}),
  });
  const events: EngineEvent[] = [];
  engine.on((event) => events.push(event));
  return {
    engine,
    events,
    rounds: () => events.flatMap((e) => (e.type === 'round' ? [e.event] : [])),
    phases: () => events.flatMap((e) => (e.type === 'phase' ? [e.phase] : [])),
    views: async (dataset = FASHION, model = 'mlp') => (await engine.prepare(dataset, model)).views,
    starts: () => starts,
    close: () => {
      for (const handle of started.splice(0)) if (handle.lostReason() === null) handle.terminate('test finished');
    },
  };
}

/** `handle` with the step times and the round hook of `options` applied to its calls. */
function instrumented(handle: WorkerHandle, options: Pick<NodeEngineOptions, 'stepTimes' | 'afterRunRound' | 'roundDelayMs'>): WorkerHandle {
  const { id } = handle;
  const { stepTimes, afterRunRound, roundDelayMs } = options;
  const calls = (api: TrainerCalls): TrainerCalls => ({
    ...api,
    profile: async (...args) => {
      const report = await api.profile(...args);
      if (!stepTimes) return report;
      return { ...report, stepMs: stepTimes(id, 0), samplesMs: report.samplesMs.map(() => stepTimes(id, 0)) };
    },
    runRound: async (order) => {
      const delay = roundDelayMs?.(id, order.round) ?? 0;
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      const report = await api.runRound(order);
      afterRunRound?.(id, order.round);
      return stepTimes ? { ...report, stepMs: stepTimes(id, order.round) } : report;
    },
  });
  return {
    id,
    requested: handle.requested,
    get report() {
      return handle.report;
    },
    lostReason: () => handle.lostReason(),
    call: (f) => handle.call((api) => f(calls(api))),
    terminate: (reason) => handle.terminate(reason),
  };
}

/**
 * Resolves with the message of the next `phase` event of `engine`; rejects if
 * `run` ends first, so a test cannot wait for ever on a phase that never comes.
 */
export function untilPhase(engine: Engine, phase: RunPhase, run: Promise<RunResult>): Promise<string> {
  let off: () => void = () => undefined;
  const reached = new Promise<string>((resolve) => {
    off = engine.on((event) => {
      if (event.type === 'phase' && event.phase === phase) resolve(event.message);
    });
  });
  const ended = run.then(
    (r) => Promise.reject(new Error(`The run ended (${r.stoppedBy}, ${r.rounds} rounds) before its phase was ${phase}.`)),
    (e: unknown) => Promise.reject(asError(e)),
  );
  return Promise.race([reached, ended]).finally(off);
}

/** Calls `f` with every round event of `engine` (synchronously, before the engine goes on) until the returned function is called. */
export function onRound(engine: Engine, f: (event: RoundEvent) => void): () => void {
  const off = engine.on((event) => {
    if (event.type === 'round') f(event.event);
  });
  return () => {
    off();
  };
}

/**
 * Null when `actual` and `expected` hold the same values (by Object.is: NaN
 * equals NaN, -0 differs from 0), else where and how they first differ; for
 * `expect(differs(a, b)).toBeNull()`, whose failure then says it.
 */
export function differs(actual: ArrayLike<number>, expected: ArrayLike<number>): string | null {
  if (actual.length !== expected.length) return `length ${actual.length}, expected ${expected.length}`;
  for (let i = 0; i < actual.length; i++) {
    if (!Object.is(actual[i], expected[i])) {
      let count = 0;
      for (let j = i; j < actual.length; j++) if (!Object.is(actual[j], expected[j])) count++;
      return `${count} of ${actual.length} values differ; the first at [${i}]: ${actual[i]}, expected ${expected[i]}`;
    }
  }
  return null;
}
