/**
 * Training-time augmentation of uint8 HWC images, the standard CIFAR-10 recipe
 * the biased local SGD paper uses: pad by `cropPadding` zero pixels on every
 * side, take a random crop of the original size, then mirror horizontally with
 * probability 0.5. Pure and allocation-free per call: it reads the shared image
 * bytes and writes the /255-scaled batch straight into the trainer's buffer, so
 * it replaces the plain copy rather than adding a pass.
 *
 * Each worker passes its own seeded stream, so a run replays from its seed.
 * Draws per sample, in this order: `int(2p + 1)` for the row offset and
 * `int(2p + 1)` for the column offset (only when p > 0), then `next() < 0.5`
 * for the flip (only when `flip`). No draws at all without augmentation.
 */
import type { Rng } from '../core/rng';

export interface AugmentOptions {
  /** Zero pixels added on each side before the random crop; 0 = no crop. */
  cropPadding: number;
  /** Mirror left-right with probability 0.5. */
  flip: boolean;
}

/** The identity: `augmentInto` then equals the plain /255 copy. */
export const NO_AUGMENTATION: Readonly<AugmentOptions> = Object.freeze({ cropPadding: 0, flip: false });

/** The paper's CIFAR-10 setting. */
export const CIFAR10_AUGMENTATION: Readonly<AugmentOptions> = Object.freeze({ cropPadding: 4, flip: true });

export interface ImageShape {
  height: number;
  width: number;
  channels: number;
}

export type AugmentRng = Pick<Rng, 'int' | 'next'>;

/**
 * Writes images[indices[b]], augmented and scaled to [0, 1], into
 * out[b * h * w * c ...] for every b. `out` may be longer than the batch (a
 * reused buffer); the rest is left untouched.
 */
export function augmentInto(
  out: Float32Array,
  images: Uint8Array,
  indices: Int32Array,
  shape: ImageShape,
  rng: AugmentRng,
  options: AugmentOptions,
): void {
  const { height, width, channels } = shape;
  // Only the three fields: callers may pass a whole ImageDataset as the shape.
  for (const [key, value] of [['height', height], ['width', width], ['channels', channels]] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new Error(`augmentInto: invalid shape.${key}: ${value}. Allowed: an integer of at least 1.`);
    }
  }
  const padding = options.cropPadding;
  const maxPadding = Math.min(height, width);
  if (!Number.isInteger(padding) || padding < 0 || padding > maxPadding) {
    throw new Error(
      `augmentInto: invalid cropPadding: ${padding}. Allowed: an integer from 0 to ${maxPadding} (the smaller image side).`,
    );
  }
  const size = height * width * channels;
  const count = Math.floor(images.length / size);
  if (out.length < indices.length * size) {
    throw new Error(
      `augmentInto: out holds ${out.length} floats; a batch of ${indices.length} images of ${height}x${width}x${channels} needs at least ${indices.length * size}.`,
    );
  }
  const rowLength = width * channels;
  const span = 2 * padding + 1;
  for (let b = 0; b < indices.length; b++) {
    const index = indices[b] ?? 0;
    if (index < 0 || index >= count) {
      throw new Error(`augmentInto: indices[${b}] is ${index}; allowed 0..${count - 1} (${count} images in the buffer).`);
    }
    // Offsets of the crop relative to the unpadded image, in [-p, p].
    const dy = padding > 0 ? rng.int(span) - padding : 0;
    const dx = padding > 0 ? rng.int(span) - padding : 0;
    const mirrored = options.flip && rng.next() < 0.5;
    const src = index * size;
    const dst = b * size;
    if (dy === 0 && dx === 0 && !mirrored) {
      for (let p = 0; p < size; p++) out[dst + p] = (images[src + p] ?? 0) / 255;
      continue;
    }
    for (let y = 0; y < height; y++) {
      const row = dst + y * rowLength;
      const sy = y + dy;
      if (sy < 0 || sy >= height) {
        out.fill(0, row, row + rowLength);
        continue;
      }
      const srcRow = src + sy * rowLength;
      for (let x = 0; x < width; x++) {
        // Mirroring the crop: output column x shows crop column width-1-x.
        const sx = (mirrored ? width - 1 - x : x) + dx;
        const o = row + x * channels;
        if (sx < 0 || sx >= width) {
          for (let c = 0; c < channels; c++) out[o + c] = 0;
        } else {
          const s = srcRow + sx * channels;
          for (let c = 0; c < channels; c++) out[o + c] = (images[s + c] ?? 0) / 255;
        }
      }
    }
  }
}
