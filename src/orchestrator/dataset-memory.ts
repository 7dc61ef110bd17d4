/**
 * Lays a dataset out in shared memory for a model: the images and labels
 * once, where every worker reads them, with room for the model's weights,
 * slots and shards. The loaded arrays are not kept afterwards, so the main
 * thread holds the dataset once; a new model on the same dataset copies it
 * from the previous layout.
 */
import type { ModelName } from '../core/config';
import { topLossIndices } from '../core/sampler';
import type { DatasetInfo, HardSample } from '../protocol';
import type { LoadedDataset } from '../data/sources';
import { modelSpec, paramCount, type ModelSpec } from '../models/spec';
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
}

/** Lays `loaded` out for `model`; throws, naming both shapes, when its splits differ in shape. */
export function layoutDataset(loaded: LoadedDataset, model: ModelName): Prepared {
  const { train, test } = loaded;
  if (train.height !== test.height || train.width !== test.width || train.channels !== test.channels) {
    throw new Error(
      `Dataset ${loaded.id}: train images are ${train.height}x${train.width}x${train.channels} but test images are ` +
        `${test.height}x${test.width}x${test.channels}; both splits must have one shape.`,
    );
  }
  const classes = Math.max(train.classes, test.classes);
  const prepared = allocateFor(loaded.id, [train.height, train.width, train.channels], classes, train.count, test.count, model, loaded.classNames);
  const { views } = prepared;
  const sampleBytes = views.spec.sampleBytes;
  views.images.set(train.images.subarray(0, train.count * sampleBytes), 0);
  views.images.set(test.images.subarray(0, test.count * sampleBytes), train.count * sampleBytes);
  views.labels.set(train.labels.subarray(0, train.count), 0);
  views.labels.set(test.labels.subarray(0, test.count), train.count);
  return prepared;
}

/** The same dataset laid out for another model: images and labels copied from `previous`. */
export function relayout(previous: Prepared, model: ModelName): Prepared {
  const prepared = allocateFor(
    previous.datasetId,
    previous.model.inputShape,
    previous.classes,
    previous.trainSize,
    previous.testSize,
    model,
    previous.classNames,
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
  model: ModelName,
  classNames: readonly string[] | null,
): Prepared {
  const spec = modelSpec(model, shape, classes);
  const layout = computeLayout({
    paramCount: paramCount(spec),
    slots: MAX_SLOTS,
    trainSize,
    testSize,
    sampleBytes: shape[0] * shape[1] * shape[2],
    shardCapacity: trainSize,
  });
  return { views: allocate(layout), model: spec, datasetId, trainSize, testSize, classes, classNames };
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
