/**
 * Lays a dataset out in shared memory for a model: the images and labels
 * once, where every worker reads them, with room for the model's weights,
 * slots and shards. The loaded arrays are not kept afterwards, so the main
 * thread holds the dataset once; a new model on the same dataset copies it
 * from the previous layout.
 */
import type { ModelName, RunConfig } from '../core/config';
import { topLossIndices } from '../core/sampler';
import type { DatasetInfo, HardSample } from '../protocol';
import type { LoadedDataset } from '../data/sources';
import { modelSpec, paramCount, type ModelSpec } from '../models/spec';
import type { TextInfo } from '../data/text';

/** The config keys that shape a model beyond its name (the transformer's) and a text dataset's windows. */
export type ModelShape = Pick<RunConfig, 'contextLength' | 'layers' | 'dModel' | 'heads' | 'mlpWidth'>;
import { allocate, computeLayout, type SharedViews } from '../shared-memory/layout';

/** Worker slots in shared memory: the most workers a run can have at once. */
export const MAX_SLOTS = 8;

/** A dataset and a model laid out in shared memory. */
export interface Prepared {
  views: SharedViews;
  model: ModelSpec;
  datasetId: string;
  trainSize: number;
  testSize: number;
  /** Classes of the dataset (the model's output width). */
  classes: number;
  classNames: readonly string[] | null;
  /** A text dataset's vocabulary, windows and baseline; null for images. */
  text: TextInfo | null;
}

/** True when `p` holds `dataset` for `model` shaped by `shape`: nothing to load or lay out again. */
export function holds(p: Prepared, dataset: string, model: ModelName, shape: ModelShape): boolean {
  return sameData(p, dataset, shape) && p.model.name === model && (model !== 'transformer' || sameTransformer(p.model, shape));
}

/** True when `p` holds `dataset` cut as `shape` asks (a text dataset's windows follow contextLength). */
export function sameData(p: Prepared, dataset: string, shape: ModelShape): boolean {
  return p.datasetId === dataset && (p.text === null || p.text.contextLength === shape.contextLength);
}

function sameTransformer(spec: ModelSpec, shape: ModelShape): boolean {
  const s = spec.sequence;
  return s !== undefined && s.layers === shape.layers && s.dModel === shape.dModel && s.heads === shape.heads && s.mlpWidth === shape.mlpWidth;
}

/** Lays `loaded` out for `model`; throws, naming both shapes, when its splits differ in shape. */
export function layoutDataset(loaded: LoadedDataset, model: ModelName, shape: ModelShape): Prepared {
  const { train, test } = loaded;
  if (train.height !== test.height || train.width !== test.width || train.channels !== test.channels) {
    throw new Error(
      `Dataset ${loaded.id}: train images are ${train.height}x${train.width}x${train.channels} but test images are ` +
        `${test.height}x${test.width}x${test.channels}; both splits must have one shape.`,
    );
  }
  const classes = Math.max(train.classes, test.classes);
  const prepared = allocateFor(
    loaded.id,
    [train.height, train.width, train.channels],
    classes,
    train.count,
    test.count,
    { model, shape },
    loaded.classNames,
    loaded.textInfo ?? null,
  );
  const { views } = prepared;
  const sampleBytes = views.spec.sampleBytes;
  views.images.set(train.images.subarray(0, train.count * sampleBytes), 0);
  views.images.set(test.images.subarray(0, test.count * sampleBytes), train.count * sampleBytes);
  views.labels.set(train.labels.subarray(0, train.count), 0);
  views.labels.set(test.labels.subarray(0, test.count), train.count);
  return prepared;
}

/** The same dataset laid out for another model: images and labels copied from `previous`. */
export function relayout(previous: Prepared, model: ModelName, shape: ModelShape): Prepared {
  const prepared = allocateFor(
    previous.datasetId,
    previous.model.inputShape,
    previous.classes,
    previous.trainSize,
    previous.testSize,
    { model, shape },
    previous.classNames,
    previous.text,
  );
  prepared.views.images.set(previous.views.images);
  prepared.views.labels.set(previous.views.labels);
  return prepared;
}

function allocateFor(
  datasetId: string,
  shape: [number, number, number],
  classes: number,
  trainSize: number,
  testSize: number,
  choice: { model: ModelName; shape: ModelShape },
  classNames: readonly string[] | null,
  text: TextInfo | null,
): Prepared {
  const { layers, dModel, heads, mlpWidth } = choice.shape;
  const spec = modelSpec(choice.model, shape, classes, { layers, dModel, heads, mlpWidth });
  const layout = computeLayout({
    paramCount: paramCount(spec),
    slots: MAX_SLOTS,
    trainSize,
    testSize,
    sampleBytes: shape[0] * shape[1] * shape[2],
    shardCapacity: trainSize,
  });
  return { views: allocate(layout), model: spec, datasetId, trainSize, testSize, classes, classNames, text };
}

/** What the page shows of the dataset and model in shared memory. */
export function datasetInfo(p: Prepared): DatasetInfo {
  return {
    id: p.datasetId,
    model: p.model.name,
    trainSize: p.trainSize,
    testSize: p.testSize,
    shape: p.model.inputShape,
    classes: p.model.classes,
    classNames: p.classNames ? [...p.classNames] : null,
    text: p.text ? { contextLength: p.text.contextLength, vocabulary: [...p.text.vocabulary], unigramBitsPerChar: p.text.unigramBitsPerChar } : null,
  };
}

/** The k training samples with the highest recorded loss (unseen ones skipped), with their pixels. */
export function hardestSamples(p: Prepared, k: number): HardSample[] {
  const { views } = p;
  return [...topLossIndices(views.losses, k)].map((index) => ({
    index,
    label: views.labels[index] ?? 0,
    className: p.classNames?.[views.labels[index] ?? 0] ?? null,
    loss: views.losses[index] ?? Number.NaN,
    shape: p.model.inputShape,
    pixels: views.image(index).slice(),
  }));
}
