/**
 * `window.tandem`: what scripts (the benchmark, end-to-end tests, a console
 * user) use to drive the engine. Every config goes through the same
 * validator as the page's controls.
 */
import { DEFAULT_CONFIG, validateConfig, type RunConfig } from '../core/config';
import type { Capabilities } from '../backends/capabilities';
import type { Orchestrator } from '../orchestrator/orchestrator';
import type { EnvironmentInfo, TandemApi } from '../protocol';
import type { ConfigStore } from './config-store';
import type { RunArchive } from './run-archive';

export function createTandemApi(
  engine: Orchestrator,
  ready: Promise<void>,
  capabilities: Promise<Readonly<Capabilities>>,
  store: ConfigStore,
  archive: RunArchive,
): TandemApi {
  return Object.freeze({
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
      return engine.baseline(options);
    },
  });
}
