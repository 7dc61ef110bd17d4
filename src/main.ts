/** Page entry: detect capabilities, load the dataset, start the engine, expose `window.tandem`, draw the UI. */
import { createTandemApi } from './api/automation';
import { ConfigStore } from './api/config-store';
import { RunArchive } from './api/run-archive';
import { detectCapabilities } from './backends/capabilities';
import { loadDatasetBySpec } from './data/load';
import { saveCheckpoint } from './checkpoint/store';
import { Orchestrator } from './orchestrator/orchestrator';
import { mountPage } from './ui/page';
import { parseUrlConfig } from './ui/url-config';

const engine = new Orchestrator(loadDatasetBySpec, { onCheckpoint: saveCheckpoint });
// The URL holds the whole config; a bad parameter falls back to its default and is reported on the page.
const fromUrl = parseUrlConfig(location.search);
const store = new ConfigStore(fromUrl.config);
const capabilities = detectCapabilities();
const ready = (async () => {
  const caps = await capabilities;
  if (!caps.sharedArrayBuffer) {
    throw new Error(
      'This page is not cross-origin isolated, so SharedArrayBuffer is unavailable. The server must send ' +
        'Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp.',
    );
  }
  const initial = store.get();
  await engine.prepare(initial.dataset, initial.model);
})();

const archive = new RunArchive();
engine.on((event) => {
  if (event.type === 'done') archive.add(event.result);
});
window.tandem = createTandemApi(engine, ready, capabilities, store, archive);
mountPage(document.getElementById('app') as HTMLElement, {
  engine,
  ready,
  capabilities,
  store,
  archive,
  urlErrors: fromUrl.errors,
});
