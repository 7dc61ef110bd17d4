/** Page entry: detect capabilities, load the dataset, start the engine, expose `window.tandem`, draw the UI. */
import { createTandemApi } from './api/automation';
import { ConfigStore } from './api/config-store';
import { RunArchive } from './api/run-archive';
import { EngineClaims } from './api/engine-claims';
import { SweepSession } from './api/sweep-session';
import { detectCapabilities, poolFound } from './backends/capabilities';
import { DEFAULT_CONFIG } from './core/config';
import { withModelForDataset } from './core/config-rules';
import { parseUrlConfig } from './core/config-url';
import { messageOf } from './core/errors';
import { cifar10Present, loadDatasetBySpec } from './data/load';
import { browserSaves } from './checkpoint/store';
import { Engine } from './orchestrator/engine';
import { startBrowserWorker } from './orchestrator/browser-worker';
import { measureBaseline } from './bench/baseline';
import { trialWhere } from './sweep/records';
import { LocalDatasets } from './ui/local-dataset';
import { mountPage } from './ui/page';
import { SWEEP_PARAMS, parseSweepUrl } from './ui/sweep-url';

// Files picked on the page are answered from memory; every other spec is fetched.
const local = new LocalDatasets();
const engine = new Engine(local.loader(loadDatasetBySpec), {
  startWorker: startBrowserWorker,
  // Saved per run (checkpoint.runId): the last config.keepSaves of each run are kept.
  onCheckpoint: (checkpoint) => browserSaves.save(checkpoint),
  // workers: auto is built from what this browser has.
  detectPool: async () => poolFound(await detectCapabilities()),
});
// The URL holds the whole config; a bad parameter falls back to its default and is reported on the page.
// A sweep's parameters go to the Sweep panel (read over the config the URL gave), refused ones reported alike.
const fromUrl = parseUrlConfig(location.search, DEFAULT_CONFIG, SWEEP_PARAMS);
const sweepFromUrl = parseSweepUrl(location.search, fromUrl.config);
const store = new ConfigStore(fromUrl.config);
const capabilities = detectCapabilities();
/** Resolves to a warning when the linked dataset could not be loaded and the default was loaded instead. */
const startup = (async (): Promise<string | null> => {
  const caps = await capabilities;
  if (!caps.sharedArrayBuffer) {
    throw new Error(
      'This page is not cross-origin isolated, so SharedArrayBuffer is unavailable. The server must send ' +
        'Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp.',
    );
  }
  const initial = store.get();
  try {
    // With the config's shape: a text dataset is cut into windows of its contextLength.
    await engine.prepare(initial.dataset, initial.model, initial);
    return null;
  } catch (e) {
    if (initial.dataset === DEFAULT_CONFIG.dataset) throw e;
    // A link to a dataset this page cannot load (CIFAR-10 not served here, files picked in an earlier visit)
    // must not leave the page unable to train: take the default and say why.
    // An image default after a text link takes an image model too (withModelForDataset).
    const fallback = store.set(withModelForDataset({ dataset: DEFAULT_CONFIG.dataset }, initial));
    await engine.prepare(fallback.dataset, fallback.model, fallback);
    return (
      `The dataset in the link, ${initial.dataset}, could not be loaded, so ${DEFAULT_CONFIG.dataset} is loaded instead: ` +
      messageOf(e)
    );
  }
})();
const ready = startup.then(() => undefined);

const archive = new RunArchive();
/** The sweep and the page's Run all each hold the engine between their runs; the API asks them before a run. */
const claims = new EngineClaims();
engine.on((event) => {
  if (event.type === 'done') archive.add(event.result);
});
// Trials are engine runs like any other: the page follows them through the engine's events.
const sweeps = new SweepSession({
  run: (config) => engine.run(config),
  busy: () => engine.isRunning(),
  claims,
  where: async () => trialWhere('this page', await api.environment()),
  now: () => performance.now(),
});
const api = createTandemApi(
  engine,
  ready,
  capabilities,
  store,
  archive,
  (options) => measureBaseline(engine, options),
  browserSaves,
  sweeps,
  claims,
);
window.tandem = api;
mountPage(document.getElementById('app') as HTMLElement, {
  engine,
  ready,
  capabilities,
  store,
  archive,
  urlErrors: [...fromUrl.errors, ...sweepFromUrl.errors],
  startupWarning: startup.catch(() => null),
  cifar10: cifar10Present(),
  local,
  api,
  saves: browserSaves,
  sweeps,
  claims,
  sweepFields: sweepFromUrl.fields,
});
