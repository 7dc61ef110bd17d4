/**
 * `window.tandem`: what scripts (the benchmark, end-to-end tests, a console
 * user) use to drive the engine. Every config goes through the same
 * validator as the page's controls.
 */
import { DEFAULT_CONFIG, validateConfig, type RunConfig } from '../core/config';
import type { Capabilities } from '../backends/capabilities';
import { checkGenerateRequest, RunStateError, type Engine } from '../orchestrator/engine';
import type { EnvironmentInfo, GenerateRequest, TandemApi } from '../protocol';
import type { ConfigStore } from './config-store';
import type { RunArchive } from './run-archive';
import { encodeCheckpoint, type Checkpoint } from '../checkpoint/format';
import type { SaveStore } from '../checkpoint/store';
import { checkImport } from '../checkpoint/validate';
import type { EngineClaims } from './engine-claims';
import { resumeSaved } from './run-sequence';
import type { SweepSession } from './sweep-session';
import { readRequest } from '../sweep/plan-read';

/** Longest continuation `generate` writes, characters (engine.checkGenerateRequest decides; the page's controls use these as hints). */
export const GENERATE_MAX_LENGTH = 1000;
/** Longest prompt `generate` reads, characters (code points). */
export const GENERATE_MAX_PROMPT = 1000;

/**
 * The rule `tandem.generate` and the page's "Watch it write" panel check a
 * request with, before anything waits: the engine's own, so the API, the
 * panel and the engine cannot disagree. A ConfigError names the field, the
 * value and what is allowed.
 */
export { checkGenerateRequest };

/**
 * Throws unless `c` may be resumed: the engine is free, and the save passes
 * the checks an imported file passes (its weights fit its model and dataset,
 * none is NaN). Run before the page's config is touched.
 */
export function checkResumeSaved(engine: Pick<Engine, 'isRunning' | 'phase'>, c: Checkpoint): void {
  if (engine.isRunning()) {
    throw new RunStateError(`Cannot resume a saved run while a run is active (phase ${engine.phase()}); stop it first.`);
  }
  checkImport(c, `saved run ${c.runId}`);
}

export function createTandemApi(
  engine: Engine,
  ready: Promise<void>,
  capabilities: Promise<Readonly<Capabilities>>,
  store: ConfigStore,
  archive: RunArchive,
  baseline: TandemApi['baseline'],
  saves: SaveStore,
  sweeps: SweepSession,
  /** The engine's sequences (a sweep, the page's Run all): a run started between their runs is refused. */
  claims: EngineClaims,
): TandemApi {
  const api: TandemApi = {
    ready: () => ready,
    async environment(): Promise<EnvironmentInfo> {
      const caps = await capabilities;
      const wasmWorker = engine.workers().find((w) => w.backend === 'wasm');
      return {
        userAgent: caps.userAgent,
        adapter: caps.adapter,
        adapterError: caps.webgpuError,
        crossOriginIsolated: caps.crossOriginIsolated,
        sharedArrayBuffer: caps.sharedArrayBuffer,
        wasmSimd: caps.wasmSimd,
        wasmThreads: wasmWorker?.report.wasm?.threads ?? 1,
        hardwareConcurrency: caps.hardwareConcurrency,
      };
    },
    defaults: (): RunConfig => validateConfig({}, DEFAULT_CONFIG),
    validate: (config: Partial<RunConfig>): RunConfig => validateConfig(config),
    async run(config: Partial<RunConfig>) {
      await ready;
      claims.assertFree('start a run');
      return engine.run(config);
    },
    config: () => store.get(),
    setConfig: (partial: Partial<RunConfig>) => store.set(partial),
    async start() {
      await ready;
      claims.assertFree('start a run');
      return engine.run(store.get());
    },
    async pause() {
      engine.pause();
    },
    async resume() {
      engine.resume();
    },
    async stop() {
      // As the page's Stop: a sweep ends with the trial this stops.
      sweeps.stopAfterTrial();
      engine.stop();
    },
    runs: () => archive.list(),
    clearRuns: () => archive.clear(),
    hardestSamples: (k: number) => engine.hardestSamples(k),
    async generate(request: GenerateRequest) {
      // Checked before waiting for the dataset, so a bad call fails at once.
      const checked = checkGenerateRequest(request);
      await ready;
      return engine.generate(checked);
    },
    events: () => engine.events(),
    workers: () => engine.workers(),
    phase: () => engine.phase(),
    // Both lend the workers: between a sequence's runs that would make its next run fail.
    async baseline(options = {}) {
      claims.assertFree('time the baseline');
      await ready;
      return baseline(options);
    },
    async checkPool(config) {
      claims.assertFree('measure the pool');
      await ready;
      return engine.checkPool(config);
    },
    addWorker: (backend) => engine.addWorker(backend),
    async removeWorker(id) {
      engine.removeWorker(id);
    },
    diagnostics: Object.freeze({ ...engine.diagnostics }),
    async memory() {
      const heap = (performance as Performance & { memory?: { usedJSHeapSize: number } }).memory;
      return { page: heap ? heap.usedJSHeapSize : null, workers: await engine.memoryReport() };
    },
    savedCheckpoint: () => saves.newest(),
    savedRuns: () => saves.entries(),
    async resumeSaved(key?: string) {
      await ready;
      claims.assertFree('resume a saved run');
      let started = false;
      const off = engine.on((event) => {
        if (event.type === 'phase' && event.phase === 'starting') started = true;
      });
      try {
        return await resumeSaved(
          {
            load: (k) => saves.load(k),
            check: (c) => checkResumeSaved(engine, c),
            store,
            run: (config, saved) => engine.run(config, saved),
            started: () => started,
          },
          key,
        );
      } finally {
        off();
      }
    },
    discardSaved: (key: string) => saves.discard(key),
    async sweep(request) {
      // Checked before waiting for the dataset, so a bad call fails at once; the base is the page's config.
      readRequest(request, store.get());
      await ready;
      const base = store.get();
      return sweeps.start(readRequest(request, base), base);
    },
    sweepResults: () => sweeps.results(),
    async endSweep() {
      sweeps.stopAfterTrial();
    },
    clearSweep: () => sweeps.clear(),
    exportCheckpoint() {
      const c = engine.checkpoint();
      if (!c) throw new Error('No run to export: start a run first.');
      return encodeCheckpoint(c);
    },
    async importCheckpoint(bytes: Uint8Array, name = 'imported file') {
      // The file would be stored beside the run's saves, but a person who imports mid-run expects to resume it now.
      if (engine.isRunning()) {
        throw new RunStateError(
          `Checkpoint ${name} was not imported: a run is active (phase ${engine.phase()}). Stop the run or let it finish, then import.`,
        );
      }
      return saves.import(bytes, name);
    },
  };
  return Object.freeze(api);
}
