/**
 * Download model: keeps each finished run's final weights (the engine's
 * model is replaced by the next run's) and writes the chosen run's model
 * files, or, before any run has finished, the paused run's model as it
 * stands.
 */
import type { Engine } from '../orchestrator/engine';
import type { RunResult } from '../protocol';
import { messageOf } from '../core/errors';
import { finalModel, layersModelFiles, modelMetadata, RunModels, type FinalModel } from './run-models';
import { downloadModel, downloadTransformer, type FinishedRun } from './runs-panel';

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
  /** True while a download is being built (the button is disabled). */
  exporting = false;

  constructor(private readonly deps: ModelDownloadDeps) {}

  /** True when the run's final weights were kept. */
  hasModel(result: RunResult): boolean {
    return this.models.of(result) !== null;
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
    this.exporting = true;
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
      this.exporting = false;
      this.deps.changed();
    }
  }
}
