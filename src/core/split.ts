/**
 * The fixed train/test split: stratified so every class has exactly
 * testPerClass test samples (Fashion-MNIST: 7000 per class -> 6000 / 1000),
 * and seeded so every run and every worker agrees on it.
 */
import { createRng } from './rng';

export interface Split {
  /** Indices into the labelled set, classes interleaved in seeded order. */
  train: Int32Array;
  test: Int32Array;
}

export function stratifiedSplit(labels: Uint8Array, classes: number, testPerClass: number, seed: number): Split {
  if (!Number.isInteger(classes) || classes < 1 || classes > 256) {
    throw new Error(`Invalid classes: ${classes}. Should be an integer from 1 to 256.`);
  }
  if (!Number.isInteger(testPerClass) || testPerClass < 0) {
    throw new Error(`Invalid testPerClass: ${testPerClass}. Should be an integer >= 0.`);
  }
  const rng = createRng(seed);
  const counts = new Int32Array(classes);
  labels.forEach((label, i) => {
    if (label >= classes) {
      throw new Error(`Invalid labels[${i}]: ${label}. Should be a class from 0 to ${classes - 1}.`);
    }
    counts[label] = (counts[label] as number) + 1;
  });
  counts.forEach((count, c) => {
    if (count < testPerClass) {
      throw new Error(`Class ${c} has ${count} samples, fewer than testPerClass = ${testPerClass}.`);
    }
  });

  const byClass = Array.from(counts, (count) => new Int32Array(count));
  const filled = new Int32Array(classes);
  labels.forEach((label, i) => {
    (byClass[label] as Int32Array)[filled[label] as number] = i;
    filled[label] = (filled[label] as number) + 1;
  });

  const test = new Int32Array(classes * testPerClass);
  const train = new Int32Array(labels.length - test.length);
  let trainCursor = 0;
  byClass.forEach((members, c) => {
    rng.shuffle(members);
    test.set(members.subarray(0, testPerClass), c * testPerClass);
    train.set(members.subarray(testPerClass), trainCursor);
    trainCursor += members.length - testPerClass;
  });
  rng.shuffle(train);
  rng.shuffle(test);
  return { train, test };
}
