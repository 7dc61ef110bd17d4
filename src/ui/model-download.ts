/**
 * Download model: keeps each finished run's final weights (the engine's
 * model is replaced by the next run's) and writes the chosen run's model
 * files, or, before any run has finished, the paused run's model as it
 * stands.
 */
import type { Engine } from '../orchestrator/engine';
import type { ModelArtifacts, RunResult } from '../protocol';
import { messageOf } from '../core/errors';
import { modelSpec } from '../models/spec';
import { transformerFileJson } from '../models/transformer-file';
import { download } from './dom';
import { finalModel, layersModelFiles, modelFileJson, modelMetadata, RunModels, type FinalModel, type TandemModelMetadata } from './run-models';
import type { FinishedRun } from './runs-panel';

/** The downloaded files' name, before `.json` and `.weights.bin`. */
export const MODEL_FILE = 'tandem-model';

export interface ModelDownloadDeps {
  engine: Engine;
  /** The run chosen under "Run to export", or null. */
  chosenRun: () => FinishedRun | null;
  /** The live run's number on the page, or null. */
  liveRun: () => number | null;
  say: (text: string) => void;
  warn: (text: string) => void;
  /** Called when `exporting` changes. */
  changed: () => void;
}

export class ModelDownload {
  private readonly models = new RunModels();
  private building = false;

  constructor(private readonly deps: ModelDownloadDeps) {}

  /** True while a download is being built (the button is disabled). */
  get exporting(): boolean {
    return this.building;
  }

  /** True when a run is chosen to export and its final weights were kept. */
  chosenKept(): boolean {
    const chosen = this.deps.chosenRun();
    return chosen !== null && this.models.of(chosen.result) !== null;
  }

  /** Keeps a finished run's final weights, read from the engine's last checkpoint. */
  keep(result: RunResult): void {
    const { engine } = this.deps;
    const checkpoint = engine.checkpoint();
    if (!checkpoint) return;
    try {
      this.models.keep(result, finalModel(checkpoint, engine.datasetInfo()));
    } catch (e) {
      this.deps.warn(`The run's model was not kept for Download model: ${messageOf(e)}`);
    }
  }

  async download(): Promise<void> {
    this.building = true;
    this.deps.changed();
    try {
      const chosen = this.deps.chosenRun();
      let model: FinalModel;
      let run: number | null;
      let accuracy: number | null;
      if (chosen) {
        const kept = this.models.of(chosen.result);
        if (!kept) throw new Error(`run #${chosen.record.n}'s weights were not kept (it did not end on this page).`);
        model = kept;
        run = chosen.record.n;
        accuracy = chosen.result.finalAccuracy ?? kept.fullAccuracy;
      } else {
        const checkpoint = this.deps.engine.checkpoint();
        if (!checkpoint) throw new Error('No model yet: run training first.');
        model = finalModel(checkpoint, this.deps.engine.datasetInfo());
        run = this.deps.liveRun();
        accuracy = model.fullAccuracy;
      }
      if (model.model === 'transformer') downloadTransformer(model, modelMetadata(model, run, accuracy));
      else downloadModel(await layersModelFiles(model), modelMetadata(model, run, accuracy));
    } catch (e) {
      this.deps.say(`Could not export the model: ${messageOf(e)}`);
    } finally {
      this.building = false;
      this.deps.changed();
    }
  }
}

/**
 * Downloads the model as MODEL_FILE.json and its weights file: the tfjs
 * layers format, which tf.loadLayersModel reads; `metadata` says which run
 * it is (model.getUserDefinedMetadata()).
 */
function downloadModel(artifacts: ModelArtifacts, metadata: TandemModelMetadata): void {
  download(`${MODEL_FILE}.json`, modelFileJson(artifacts, `${MODEL_FILE}.weights.bin`, metadata), 'application/json');
  download(`${MODEL_FILE}.weights.bin`, artifacts.weightData, 'application/octet-stream');
}

/**
 * A transformer as MODEL_FILE.json (its sizes, vocabulary, parameter list and
 * where it came from; src/models/transformer-file.ts) and its weights:
 * tf.layers has no causal attention, so src/models/load-transformer.ts loads it.
 */
function downloadTransformer(m: FinalModel, metadata: TandemModelMetadata): void {
  const { layers, dModel, heads, mlpWidth } = m.config;
  const spec = modelSpec('transformer', [m.shape[0], m.shape[1], m.shape[2]], m.classes, { layers, dModel, heads, mlpWidth });
  const { input: _input, output: _output, ...about } = metadata.tandem;
  const json = transformerFileJson(spec, m.classNames ?? [], `${MODEL_FILE}.weights.bin`, { ...about, output: 'logits' });
  download(`${MODEL_FILE}.json`, json, 'application/json');
  download(`${MODEL_FILE}.weights.bin`, m.theta.slice().buffer, 'application/octet-stream');
}
