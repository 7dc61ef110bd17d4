import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { modelSpec } from '../models/spec';
import { packedCopy } from './packed-arrays';

// V8's own view of an array's layout, through its test intrinsics (Node shares the browser's engine and its
// structured clone). The flag must be set before the functions that use them are compiled.
setFlagsFromString('--allow-natives-syntax');
const layoutOf = new Function(
  'a',
  "return (%HasSmiElements(a) ? 'small integers' : %HasDoubleElements(a) ? 'doubles' : 'any values') + (%HasHoleyElements(a) ? ', holey' : ', packed');",
) as (a: unknown[]) => string;

describe('packedCopy', () => {
  it('a structured clone holds its shapes as holey arrays of any values; the copy holds them as packed small integers', () => {
    const cloned = structuredClone(modelSpec('cnn', [28, 28, 1], 10));
    // The precondition the module exists for: without it, this test would pass for any copy.
    expect(layoutOf(cloned.params[0]!.shape)).toBe('any values, holey');
    expect(layoutOf(cloned.inputShape)).toBe('any values, holey');

    const copy = packedCopy(cloned);
    for (const p of copy.params) expect(layoutOf(p.shape), p.name).toBe('small integers, packed');
    expect(layoutOf(copy.inputShape)).toBe('small integers, packed');
  });

  it('copies the value: equal to the original, sharing no array or object with it', () => {
    const original = modelSpec('cnn', [28, 28, 1], 10);
    const cloned = structuredClone(original);
    const copy = packedCopy(cloned);
    expect(copy).toEqual(original);
    expect(copy.params).not.toBe(cloned.params);
    expect(copy.params[0]).not.toBe(cloned.params[0]);
    expect(copy.params[0]!.shape).not.toBe(cloned.params[0]!.shape);
  });

  it('keeps arrays of other values (fractions, -0, large integers, strings) element for element, and packs nested integer arrays', () => {
    const value = structuredClone({ a: [0.5, 1], b: [-0, 1], c: [2 ** 31, 1], d: ['x', 'y'], e: [[1, 2], [3]], f: [], g: null, h: 'text', i: 3 });
    const copy = packedCopy(value);
    expect(copy).toEqual(value);
    expect(Object.is(copy.b[0], -0)).toBe(true);
    expect(layoutOf(copy.e[0]!)).toBe('small integers, packed');
  });

  it('leaves what is not a plain object or array (typed arrays, shared memory) uncopied', () => {
    const memory = new SharedArrayBuffer(8);
    const floats = new Float32Array([1, 2]);
    const copy = packedCopy({ memory, floats });
    expect(copy.memory).toBe(memory);
    expect(copy.floats).toBe(floats);
  });
});
