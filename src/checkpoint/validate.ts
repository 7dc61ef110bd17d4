/**
 * What an imported checkpoint must satisfy before it replaces the saved one.
 * decodeCheckpoint (format.ts) proves the bytes are the ones written and the
 * header well typed; this checks that what they say is a run Tandem could have
 * saved: weights for its model and dataset, one loss per training sample,
 * nothing NaN. Refusing at import tells the user which file is wrong while
 * they still have it at hand, instead of at resume. Pure: no tfjs, no DOM.
 */
import { DATASET_SPEC_HELP, parseDatasetSpec, type DatasetKind } from '../core/dataset-spec';
import { CIFAR10_CHANNELS, CIFAR10_CLASSES, CIFAR10_SIDE } from '../data/cifar10';
import { modelSpec, paramCount, type ModelSpec } from '../models/spec';
import { CheckpointError, type Checkpoint } from './format';

/** What is known of a built-in dataset without loading it. */
export interface KnownDataset {
  shape: ModelSpec['inputShape'];
  classes: number;
  /** Training samples (= entries of the loss table), or null when only loading tells. */
  trainSize: number | null;
}

/**
 * The engine derives these from the files it loads (src/data/sources.ts);
 * validate.test.ts loads the embedded files, when present, to hold them equal.
 */
const KNOWN: Readonly<Record<Exclude<DatasetKind, 'idx' | 'moby-dick' | 'text'>, KnownDataset>> = {
  // 70,000 images (scripts/prepare-data.mjs), 1,000 per class held out for testing (sources.ts EMBEDDED).
  'fashion-mnist': { shape: [28, 28, 1], classes: 10, trainSize: 70_000 - 10 * 1_000 },
  // The `mnist` package's 10,000 digits, 100 per class held out.
  mnist: { shape: [28, 28, 1], classes: 10, trainSize: 10_000 - 10 * 100 },
  // Any non-empty subset of the five training batches loads (cifar10.ts readCifar10), so only loading tells its size.
  cifar10: { shape: [CIFAR10_SIDE, CIFAR10_SIDE, CIFAR10_CHANNELS], classes: CIFAR10_CLASSES.length, trainSize: null },
};

/**
 * The shape, classes and training-set size of `dataset` (a dataset spec), or
 * null when only loading it tells (idx:LOCATION; text, whose vocabulary and
 * windows follow from the text and the context length).
 */
export function knownDataset(dataset: string): KnownDataset | null {
  const spec = parseDatasetSpec(dataset);
  if (spec === null || spec.kind === 'idx' || spec.kind === 'moby-dick' || spec.kind === 'text') return null;
  return KNOWN[spec.kind];
}

/**
 * Throws CheckpointError, naming the field, its value and what is allowed,
 * unless `c` is consistent: dataset and model as in its config, as many
 * weights as its model has on its dataset and one loss per training sample
 * (where known without loading data; resuming checks them otherwise), every
 * weight finite, every loss finite or +Infinity (not seen yet), a whole
 * round that its history does not pass, a training clock >= 0.
 */
export function checkImport(c: Checkpoint, name: string): void {
  const fail = (what: string): never => {
    throw new CheckpointError(`Checkpoint ${name}: ${what}`);
  };
  if (c.datasetId !== c.config.dataset) {
    fail(`datasetId ${show(c.datasetId)} differs from config.dataset ${show(c.config.dataset)}; the two must be the same dataset spec.`);
  }
  if (c.model !== c.config.model) fail(`model ${show(c.model)} differs from config.model ${show(c.config.model)}; the two must be equal.`);
  if (parseDatasetSpec(c.datasetId) === null) fail(`datasetId ${show(c.datasetId)} is not a dataset spec; allowed: ${DATASET_SPEC_HELP}.`);
  if (!Number.isInteger(c.round) || c.round < 0) fail(`round is ${show(c.round)}; expected a whole number.`);
  c.history.forEach((e: unknown, i) => {
    const round = typeof e === 'object' && e !== null ? (e as { round?: unknown }).round : undefined;
    if (!Number.isInteger(round) || (round as number) < 0 || (round as number) > c.round) {
      fail(`history[${i}].round is ${show(round)}; expected a whole number no greater than the checkpoint's round ${c.round}.`);
    }
  });
  if (!(Number.isFinite(c.trainMs) && c.trainMs >= 0)) fail(`trainMs is ${show(c.trainMs)}; expected a finite number of ms >= 0.`);

  const known = knownDataset(c.datasetId);
  if (known) {
    const weights = paramCount(modelSpec(c.model, known.shape, known.classes));
    if (c.theta.length !== weights) {
      fail(`theta holds ${c.theta.length} weights; ${c.model} on ${c.datasetId} has ${weights}.`);
    }
    if (known.trainSize !== null && c.losses.length !== known.trainSize) {
      fail(`losses hold ${c.losses.length} entries; ${c.datasetId} has ${known.trainSize} training samples, one loss each.`);
    }
  }
  const weight = firstBad(c.theta, Number.isFinite);
  if (weight) {
    fail(`theta[${weight.index}] is ${weight.value} (${weight.count} of ${c.theta.length} weights are NaN or infinite); every weight must be finite.`);
  }
  const loss = firstBad(c.losses, (v) => Number.isFinite(v) || v === Number.POSITIVE_INFINITY);
  if (loss) {
    fail(
      `losses[${loss.index}] is ${loss.value} (${loss.count} of ${c.losses.length} losses are NaN or -Infinity); ` +
        'a loss must be finite, or +Infinity for a sample not seen yet.',
    );
  }
}

/** The first value of `values` failing `ok`, and how many fail; null when all pass. */
function firstBad(values: Float32Array, ok: (v: number) => boolean): { index: number; value: number; count: number } | null {
  let first = -1;
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    if (ok(values[i] as number)) continue;
    if (first < 0) first = i;
    count++;
  }
  return first < 0 ? null : { index: first, value: values[first] as number, count };
}

/** A value as an error message shows it: numbers as themselves (NaN stays NaN), the rest as JSON, a long URL cut short. */
function show(v: unknown): string {
  if (v === undefined) return 'missing';
  if (typeof v === 'number') return String(v);
  const json = JSON.stringify(v) ?? String(v);
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}
