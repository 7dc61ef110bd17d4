/**
 * `window.tandem`: what scripts (the benchmark, end-to-end tests, a console
 * user) use to drive the engine. Every config goes through the same
 * validator as the page's controls.
 */
import { DEFAULT_CONFIG, validateConfig, type RunConfig } from '../core/config';
import type { Capabilities } from '../backends/capabilities';
import type { Engine } from '../orchestrator/engine';
import type { EnvironmentInfo, TandemApi } from '../protocol';
import type { ConfigStore } from './config-store';
import type { RunArchive } from './run-archive';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../checkpoint/format';
import { loadCheckpoint, saveCheckpoint } from '../checkpoint/store';
import type { CheckpointSummary } from '../protocol';
import { resumeSaved } from './run-sequence';

export function summarize(c: Checkpoint): CheckpointSummary {
  const evaluated = c.history.filter((e) => e.accuracy !== null);
  return {
    savedAt: c.savedAt,
    round: c.round,
    trainMs: c.trainMs,
    algo: c.config.algo,
    dataset: c.datasetId,
    model: c.model,
    accuracy: evaluated.at(-1)?.accuracy ?? null,
  };
}

export function createTandemApi(
  engine: Engine,
  ready: Promise<void>,
  capabilities: Promise<Readonly<Capabilities>>,
  store: ConfigStore,
  archive: RunArchive,
  baseline: TandemApi['baseline'],
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
      return engine.run(config);
    },
    config: () => store.get(),
    setConfig: (partial: Partial<RunConfig>) => store.set(partial),
    async start() {
      await ready;
      return engine.run(store.get());
    },
    async pause() {
      engine.pause();
    },
    async resume() {
      engine.resume();
    },
    async stop() {
      engine.stop();
    },
    runs: () => archive.list(),
    clearRuns: () => archive.clear(),
    hardestSamples: (k: number) => engine.hardestSamples(k),
    events: () => engine.events(),
    workers: () => engine.workers(),
    phase: () => engine.phase(),
    async baseline(options = {}) {
      await ready;
      return baseline(options);
    },
    async checkPool(config) {
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
    async savedCheckpoint() {
      const c = await loadCheckpoint();
      return c ? summarize(c) : null;
    },
    async resumeSaved() {
      await ready;
      return resumeSaved({ load: loadCheckpoint, store, run: (config, saved) => engine.run(config, saved) });
    },
    exportCheckpoint() {
      const c = engine.checkpoint();
      if (!c) throw new Error('No run to export: start a run first.');
      return encodeCheckpoint(c);
    },
    async importCheckpoint(bytes: Uint8Array, name = 'imported file') {
      const c = decodeCheckpoint(name, bytes);
      await saveCheckpoint(c);
      return summarize(c);
    },
  };
  return Object.freeze(api);
}
