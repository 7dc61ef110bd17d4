/**
 * The weights each finished run ended with, kept beside its result so that
 * Download model writes the run chosen under "Run to export", not whatever
 * the workers hold now; and what the downloaded model.json says about
 * itself (tfjs `userDefinedMetadata`): which run, and how to feed it. Pure
 * but for `layersModelFiles`, which loads tfjs on first use.
 */
import type { Checkpoint } from '../checkpoint/format';
import type { ModelName, RunConfig } from '../core/config';
import type { DatasetInfo, ModelArtifacts, RunResult } from '../protocol';
import { modelJson } from './run-data';

/** A run's model at its end (or at a pause): theta_bar in the flat layout of src/models/spec.ts, and what it was trained on. */
export interface FinalModel {
  readonly runId: string;
  readonly config: RunConfig;
  readonly model: ModelName;
  readonly datasetId: string;
  /** Input image height, width, channels. */
  readonly shape: readonly [number, number, number];
  readonly classes: number;
  readonly classNames: readonly string[] | null;
  readonly round: number;
  /** Whole-test-set accuracy of `theta`, when measured. */
  readonly fullAccuracy: number | null;
  readonly theta: Float32Array;
}

/** The model of the engine's run as `checkpoint` holds it; `info` is the dataset in the engine's memory, which must be the checkpoint's. */
export function finalModel(checkpoint: Checkpoint, info: DatasetInfo | null): FinalModel {
  if (!info || info.id !== checkpoint.datasetId || info.model !== checkpoint.model) {
    throw new Error(
      `The engine holds ${info ? `${info.model} on ${info.id}` : 'no dataset'}, not this run's ${checkpoint.model} on ${checkpoint.datasetId}.`,
    );
  }
  return {
    runId: checkpoint.runId,
    config: checkpoint.config,
    model: checkpoint.model,
    datasetId: checkpoint.datasetId,
    shape: info.shape,
    classes: info.classes,
    classNames: info.classNames,
    round: checkpoint.round,
    fullAccuracy: checkpoint.fullAccuracy,
    theta: checkpoint.theta,
  };
}

/** Each finished run's final model, for as long as the page keeps its result (until Clear runs). */
export class RunModels {
  private readonly models = new WeakMap<RunResult, FinalModel>();

  keep(result: RunResult, model: FinalModel): void {
    this.models.set(result, model);
  }

  of(result: RunResult): FinalModel | null {
    return this.models.get(result) ?? null;
  }
}

/** What a downloaded model.json says about itself, under `userDefinedMetadata` (tfjs: `model.getUserDefinedMetadata()`). */
export interface TandemModelMetadata {
  tandem: {
    /** The run's number on the page that exported it (#n); null when the page had not numbered it. */
    run: number | null;
    runId: string;
    algo: RunConfig['algo'];
    config: RunConfig;
    /** Rounds trained. */
    round: number;
    /** Accuracy of these weights on the whole test set, when measured; null otherwise. */
    accuracy: number | null;
    datasetId: string;
    classes: number;
    classNames: readonly string[] | null;
    /** What predict() takes: images as float32 [N, height, width, channels], pixel bytes divided by 255 (no other normalisation). */
    input: { shape: [null, number, number, number]; dtype: 'float32'; layout: 'NHWC'; scale: '1/255' };
    /** What predict() returns: one score per class, before softmax. */
    output: 'logits';
  };
}

/** `accuracy`: the run's final whole-test-set accuracy when it has one, else what `model` says of itself. */
export function modelMetadata(m: FinalModel, run: number | null, accuracy: number | null = m.fullAccuracy): TandemModelMetadata {
  return {
    tandem: {
      run,
      runId: m.runId,
      algo: m.config.algo,
      config: m.config,
      round: m.round,
      accuracy,
      datasetId: m.datasetId,
      classes: m.classes,
      classNames: m.classNames,
      input: { shape: [null, ...m.shape], dtype: 'float32', layout: 'NHWC', scale: '1/255' },
      output: 'logits',
    },
  };
}

/** model.json for `artifacts` with `metadata` where tfjs reads it back (`userDefinedMetadata`). */
export function modelFileJson(artifacts: Omit<ModelArtifacts, 'weightData'>, weightsFile: string, metadata: TandemModelMetadata): string {
  return JSON.stringify({ ...(JSON.parse(modelJson(artifacts, weightsFile)) as object), userDefinedMetadata: metadata });
}

/**
 * `m` in the tfjs layers format, built on the page from the kept weights, so
 * any finished run can be written whatever the workers hold. tfjs is loaded
 * only when a model is first downloaded.
 */
export async function layersModelFiles(m: FinalModel): Promise<ModelArtifacts> {
  const { layersArtifactsOf } = await import('./model-file');
  return layersArtifactsOf(m);
}
