import { describe, expect, it } from 'vitest';
import { createRng } from '../core/rng';
import { augmentInto, CIFAR10_AUGMENTATION, NO_AUGMENTATION, type AugmentRng, type ImageShape } from './augment';

const shape: ImageShape = { height: 4, width: 5, channels: 3 };
const size = shape.height * shape.width * shape.channels;

/** 6 images whose bytes are all distinct within an image and nonzero, so shifts and zeros are visible. */
const images = Uint8Array.from({ length: 6 * size }, (_, i) => 1 + ((i * 37) % 250));

/** The expected value of an input byte in the float32 output. */
const pixel = (image: number, y: number, x: number, c: number) =>
  Math.fround((images[image * size + (y * shape.width + x) * shape.channels + c] ?? -1) / 255);

const outPixel = (out: Float32Array, b: number, y: number, x: number, c: number) =>
  out[b * size + (y * shape.width + x) * shape.channels + c];

/** Answers int() with fixed values in turn and next() with a fixed value. */
function stubRng(ints: number[], next: number): AugmentRng & { intCalls: number[]; nextCalls: number } {
  let i = 0;
  return {
    intCalls: [],
    nextCalls: 0,
    int(n: number) {
      this.intCalls.push(n);
      const v = ints[i++ % ints.length] ?? 0;
      if (v >= n) throw new Error(`stub int(${n}) asked to return ${v}`);
      return v;
    },
    next() {
      this.nextCalls++;
      return next;
    },
  };
}

const run = (indices: number[], rng: AugmentRng, options = CIFAR10_AUGMENTATION, out?: Float32Array) => {
  const buffer = out ?? new Float32Array(indices.length * size).fill(-7);
  augmentInto(buffer, images, Int32Array.from(indices), shape, rng, options);
  return buffer;
};

describe('augmentInto', () => {
  it('without augmentation equals the plain /255 copy and draws nothing', () => {
    const indices = [5, 0, 3, 3];
    const rng = stubRng([0], 0);
    const out = run(indices, rng, NO_AUGMENTATION);
    const plain = new Float32Array(indices.length * size);
    indices.forEach((index, b) => {
      for (let p = 0; p < size; p++) plain[b * size + p] = (images[index * size + p] ?? 0) / 255;
    });
    expect(out).toEqual(plain);
    expect(rng.intCalls).toEqual([]);
    expect(rng.nextCalls).toBe(0);
  });

  it('fills exactly the batch of a longer reused buffer, values in [0, 1]', () => {
    const out = new Float32Array(3 * size).fill(-7);
    run([1, 2], createRng(3), { cropPadding: 2, flip: true }, out);
    const batch = out.subarray(0, 2 * size);
    expect(batch.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(out.subarray(2 * size).every((v) => v === -7)).toBe(true);
  });

  it('is deterministic by seed and differs between seeds', () => {
    const indices = [0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5];
    const a = run(indices, createRng(42));
    const b = run(indices, createRng(42));
    const c = run(indices, createRng(43));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('draws two offsets in [0, 2p] then one flip per sample', () => {
    const rng = stubRng([0, 8], 0.9);
    run([0, 1], rng, { cropPadding: 4, flip: true });
    expect(rng.intCalls).toEqual([9, 9, 9, 9]);
    expect(rng.nextCalls).toBe(2);
  });

  it('mirrors left-right when next() < 0.5 and keeps the image when not', () => {
    const flipped = run([2], stubRng([0], 0.49), { cropPadding: 0, flip: true });
    const kept = run([2], stubRng([0], 0.5), { cropPadding: 0, flip: true });
    for (let y = 0; y < shape.height; y++) {
      for (let x = 0; x < shape.width; x++) {
        for (let c = 0; c < shape.channels; c++) {
          expect(outPixel(flipped, 0, y, x, c)).toBe(pixel(2, y, shape.width - 1 - x, c));
          expect(outPixel(kept, 0, y, x, c)).toBe(pixel(2, y, x, c));
        }
      }
    }
  });

  it('shifts the content by the drawn offset and fills the uncovered border with zeros', () => {
    const p = 2;
    // int returns 3 (row) then 0 (column): dy = +1, dx = -2.
    const out = run([4], stubRng([3, 0], 0.9), { cropPadding: p, flip: false });
    let zeros = 0;
    for (let y = 0; y < shape.height; y++) {
      for (let x = 0; x < shape.width; x++) {
        for (let c = 0; c < shape.channels; c++) {
          const sy = y + 1;
          const sx = x - 2;
          const inside = sy < shape.height && sx >= 0;
          expect(outPixel(out, 0, y, x, c)).toBe(inside ? pixel(4, sy, sx, c) : 0);
          if (!inside) zeros++;
        }
      }
    }
    // The last row and the first two columns: (1 * 5 + 3 * 2) pixels of 3 channels.
    expect(zeros).toBe(11 * 3);
  });

  it('crops then mirrors the crop', () => {
    // dy = 0, dx = +1, mirrored: out(y, x) = in(y, width - 1 - x + 1).
    const out = run([1], stubRng([1, 2], 0), { cropPadding: 1, flip: true });
    for (let y = 0; y < shape.height; y++) {
      expect(outPixel(out, 0, y, 0, 1)).toBe(0);
      for (let x = 1; x < shape.width; x++) expect(outPixel(out, 0, y, x, 1)).toBe(pixel(1, y, shape.width - x, 1));
    }
  });

  it('gives every offset and both flips over many draws', () => {
    const rng = createRng(7);
    const seen = new Set<string>();
    let flips = 0;
    const n = 2000;
    const counting: AugmentRng = {
      int: (k) => {
        const v = rng.int(k);
        seen.add(`${k}:${v}`);
        return v;
      },
      next: () => {
        const v = rng.next();
        if (v < 0.5) flips++;
        return v;
      },
    };
    run(Array.from({ length: n }, (_, i) => i % 6), counting, { cropPadding: 2, flip: true });
    expect(seen.size).toBe(5);
    expect(flips / n).toBeGreaterThan(0.45);
    expect(flips / n).toBeLessThan(0.55);
  });

  it('refuses bad options, indices, shapes and a short buffer, naming the value', () => {
    const rng = createRng(1);
    const out = new Float32Array(size);
    expect(() => augmentInto(out, images, Int32Array.from([0]), shape, rng, { cropPadding: 5, flip: false })).toThrow(
      'augmentInto: invalid cropPadding: 5. Allowed: an integer from 0 to 4 (the smaller image side).',
    );
    expect(() => augmentInto(out, images, Int32Array.from([0]), shape, rng, { cropPadding: 1.5, flip: false })).toThrow(
      /invalid cropPadding: 1\.5/,
    );
    expect(() => augmentInto(out, images, Int32Array.from([6]), shape, rng, NO_AUGMENTATION)).toThrow(
      'augmentInto: indices[0] is 6; allowed 0..5 (6 images in the buffer).',
    );
    expect(() => augmentInto(out, images, Int32Array.from([-1]), shape, rng, NO_AUGMENTATION)).toThrow(/is -1/);
    expect(() => augmentInto(out, images, Int32Array.from([0, 1]), shape, rng, NO_AUGMENTATION)).toThrow(
      /out holds 60 floats; a batch of 2 images of 4x5x3 needs at least 120/,
    );
    expect(() =>
      augmentInto(out, images, Int32Array.from([0]), { ...shape, channels: 0 }, rng, NO_AUGMENTATION),
    ).toThrow('augmentInto: invalid shape.channels: 0. Allowed: an integer of at least 1.');
  });

  it('accepts a whole dataset object as the shape', () => {
    const dataset = { name: 'd', count: 6, classes: 2, labels: new Uint8Array(6), images, ...shape };
    const out = new Float32Array(size);
    augmentInto(out, images, Int32Array.from([0]), dataset, createRng(1), NO_AUGMENTATION);
    expect(out[0]).toBe(pixel(0, 0, 0, 0));
  });
});
