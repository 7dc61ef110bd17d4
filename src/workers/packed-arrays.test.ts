import { describe, expect, it } from 'vitest';
import { MODELS, type ModelName } from '../core/config';
import { modelSpec, type ModelSpec } from '../models/spec';
import { layoutOf } from './array-layout-testing';
import { packedCopy } from './packed-arrays';

const INPUTS: Record<ModelName, [ModelSpec['inputShape'], number]> = {
  mlp: [[28, 28, 1], 10],
  cnn: [[28, 28, 1], 10],
  resnet20: [[32, 32, 3], 10],
  transformer: [[1, 17, 1], 30],
};

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

  it.each(MODELS)('copies the %s spec: strictly equal to the original, sharing no array or object with it', (name) => {
    const [input, classes] = INPUTS[name];
    const original = modelSpec(name, input, classes);
    const cloned = structuredClone(original);
    const copy = packedCopy(cloned);
    expect(copy).toStrictEqual(original);
    expect(copy.params).not.toBe(cloned.params);
    expect(copy.params[0]).not.toBe(cloned.params[0]);
    expect(copy.params[0]!.shape).not.toBe(cloned.params[0]!.shape);
  });

  it('keeps arrays of other values (fractions, -0, large integers, strings) element for element, and packs nested integer arrays and []', () => {
    const value = structuredClone({ a: [0.5, 1], b: [-0, 1], c: [2 ** 31, 1], d: ['x', 'y'], e: [[1, 2], [3]], f: [] as number[], g: null, h: 'text', i: 3 });
    const copy = packedCopy(value);
    expect(copy).toStrictEqual(value);
    expect(Object.is(copy.b[0], -0)).toBe(true);
    expect(layoutOf(copy.e[0]!)).toBe('small integers, packed');
    expect(layoutOf(copy.f)).toBe('small integers, packed');
  });

  it('keeps an own __proto__ key as a key, not as the prototype', () => {
    const value = JSON.parse('{"__proto__": {"polluted": true}, "shape": [1, 2]}') as Record<string, unknown>;
    const copy = packedCopy(value);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.keys(copy)).toEqual(['__proto__', 'shape']);
    expect((copy as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it('leaves what is not a plain object or array (typed arrays, shared memory) uncopied', () => {
    const memory = new SharedArrayBuffer(8);
    const floats = new Float32Array([1, 2]);
    const copy = packedCopy({ memory, floats });
    expect(copy.memory).toBe(memory);
    expect(copy.floats).toBe(floats);
  });
});
