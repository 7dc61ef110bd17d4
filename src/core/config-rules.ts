/**
 * The rules that span several keys: model vs dataset, heads vs dModel,
 * slowdown rules vs the pool. validateConfig applies them once every key has
 * passed its own check; the engine re-applies the pool rule once an `auto`
 * pool is resolved. Also the model that follows a dataset when only the
 * dataset changes (the page, a URL), so the pair stays valid. Types only
 * from ./config, so no import cycle.
 */

import { checkWorkerRules, ConfigError } from './config-checks';
import { parseDatasetSpec } from './dataset-spec';
import type { ModelName, RunConfig, SlowdownRule } from './config';

/** Models of images, and of text (a text dataset takes a transformer, an image dataset any other). */
export const IMAGE_MODELS: readonly ModelName[] = ['mlp', 'cnn', 'resnet20'];

export function formatSlowdown(rules: readonly SlowdownRule[]): string {
  return rules.map((r) => `${r.worker}:${r.factor}${r.fromRound > 1 ? `@${r.fromRound}` : ''}`).join(',');
}

/** Refuses a slowdown rule for a worker past the pool's end (`poolSize` null: not known yet). */
export function checkSlowdownWorkers(config: Pick<RunConfig, 'slowdown'>, poolSize: number | null): void {
  checkWorkerRules(
    'slowdown',
    formatSlowdown(config.slowdown),
    config.slowdown.map((r) => ({ worker: r.worker, text: formatSlowdown([r]) })),
    poolSize,
  );
}

/** True for datasets of text (`moby-dick`, `text:FILE`): samples are windows of characters. */
export function isTextDataset(dataset: string): boolean {
  const kind: string | undefined = parseDatasetSpec(dataset)?.kind;
  return kind === 'moby-dick' || kind === 'text';
}

/** A text dataset takes the transformer and an image dataset an image model; the heads divide dModel. */
export function checkModelFitsData(config: RunConfig): void {
  const text = isTextDataset(config.dataset);
  if (text && config.model !== 'transformer') {
    throw new ConfigError('model', config.model, `transformer for the text dataset ${config.dataset}`);
  }
  if (!text && config.model === 'transformer') {
    throw new ConfigError('model', config.model, `${IMAGE_MODELS.join(', ')} for the image dataset ${config.dataset} (transformer reads text: moby-dick or text:FILE)`);
  }
  if (config.dModel % config.heads !== 0) {
    throw new ConfigError('heads', config.heads, `a divisor of dModel (${config.dModel})`);
  }
}

/** The model an image dataset gets when it replaces a text one (the transformer reads only text). */
export const IMAGE_MODEL_AFTER_TEXT: ModelName = 'cnn';

/**
 * The model to go with `dataset` when the person chooses it: the transformer
 * for text; for images the current model, unless that is the transformer,
 * which becomes IMAGE_MODEL_AFTER_TEXT. Keeps a config valid when only the
 * dataset changes (the validator refuses a mismatched pair). A dataset the
 * validator will refuse is treated as images: the change fails on it anyway.
 */
export function modelForDataset(dataset: string, model: ModelName): ModelName {
  if (isTextDataset(dataset)) return 'transformer';
  return model === 'transformer' ? IMAGE_MODEL_AFTER_TEXT : model;
}

/** `{dataset}` plus the model that must follow it over `current`, when that differs; other keys as they are. */
export function withModelForDataset<P extends Partial<RunConfig>>(partial: P, current: Pick<RunConfig, 'model'>): P {
  if (typeof partial.dataset !== 'string' || partial.model !== undefined) return partial;
  const model = modelForDataset(partial.dataset, current.model);
  return model === current.model ? partial : { ...partial, model };
}
