import { describe, expect, it } from 'vitest';
import { createRng } from './rng';
import { stratifiedSplit } from './split';

const CLASSES = 10;

/** A Fashion-MNIST-shaped label set: `perClass` of each class, shuffled. */
function labelSet(perClass: number, seed = 0): Uint8Array {
  const labels = Uint8Array.from({ length: CLASSES * perClass }, (_, i) => i % CLASSES);
  const order = createRng(seed).permutation(labels.length);
  return Uint8Array.from(order, (i) => labels[i] as number);
}

function classCounts(labels: Uint8Array, indices: Int32Array): number[] {
  const counts = new Array<number>(CLASSES).fill(0);
  for (const i of indices) counts[labels[i] as number] = (counts[labels[i] as number] as number) + 1;
  return counts;
}

describe('stratifiedSplit', () => {
  const labels = labelSet(7000);
  const split = stratifiedSplit(labels, CLASSES, 1000, 42);

  it('gives Fashion-MNIST 6000 train / 1000 test per class', () => {
    expect(split.train.length).toBe(60_000);
    expect(split.test.length).toBe(10_000);
    expect(classCounts(labels, split.train)).toEqual(new Array(CLASSES).fill(6000));
    expect(classCounts(labels, split.test)).toEqual(new Array(CLASSES).fill(1000));
  });

  it('is disjoint and covers every sample exactly once', () => {
    const seen = new Uint8Array(labels.length);
    for (const i of [...split.train, ...split.test]) seen[i] = (seen[i] as number) + 1;
    expect(seen.every((count) => count === 1)).toBe(true);
  });

  it('interleaves classes (no long single-class runs at the start)', () => {
    expect(new Set(Array.from(split.test.subarray(0, 100), (i) => labels[i])).size).toBe(CLASSES);
    expect(new Set(Array.from(split.train.subarray(0, 100), (i) => labels[i])).size).toBe(CLASSES);
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const again = stratifiedSplit(labels, CLASSES, 1000, 42);
    expect(again.train).toEqual(split.train);
    expect(again.test).toEqual(split.test);
    const other = stratifiedSplit(labels, CLASSES, 1000, 43);
    expect(other.test).not.toEqual(split.test);
    expect([...other.test].sort((a, b) => a - b)).not.toEqual([...split.test].sort((a, b) => a - b));
  });

  it('handles testPerClass = 0 and unbalanced classes', () => {
    const small = Uint8Array.from([0, 1, 1, 2, 2, 2]);
    const none = stratifiedSplit(small, 3, 0, 1);
    expect(none.test.length).toBe(0);
    expect([...none.train].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    const one = stratifiedSplit(small, 3, 1, 1);
    expect(Array.from(one.test, (i) => small[i]).sort()).toEqual([0, 1, 2]);
    expect(one.train.length).toBe(3);
  });

  it('names the class that is too small', () => {
    const labels = Uint8Array.from([0, 0, 0, 1, 2, 2, 2]);
    expect(() => stratifiedSplit(labels, 3, 2, 1)).toThrow(/Class 1 has 1 samples, fewer than testPerClass = 2/);
  });

  it('rejects labels outside the class range and bad arguments', () => {
    expect(() => stratifiedSplit(Uint8Array.from([0, 3]), 3, 0, 1)).toThrow(/labels\[1\]: 3/);
    expect(() => stratifiedSplit(Uint8Array.from([0]), 0, 0, 1)).toThrow(/classes: 0/);
    expect(() => stratifiedSplit(Uint8Array.from([0]), 1, -1, 1)).toThrow(/testPerClass: -1/);
    expect(() => stratifiedSplit(Uint8Array.from([0]), 1, 0, 0.5)).toThrow(/seed: 0.5/);
  });
});
