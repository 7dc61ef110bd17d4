/**
 * Training and test batches from the dataset in shared memory: pixels scaled
 * to [0, 1] (and augmented for training when configured), labels as int32.
 * Holds the trainer's augmentation stream and reuses its staging buffers.
 */
import * as tf from '@tensorflow/tfjs';
import { createRng, type Rng } from '../core/rng';
import { NO_AUGMENTATION, augmentInto } from '../data/augment';
import type { OptimizerSettings } from '../protocol';
import type { SharedViews } from '../shared-memory/layout';
import { windowTensors } from '../models/transformer';

export class BatchSource {
  private rng: Rng = createRng(0);
  private x = new Float32Array(0);
  private y = new Int32Array(0);
  private bytes = new Uint8Array(0);

  /** Restarts the augmentation stream of trainer `id` from `seed` (a run's start, so runs with one seed match). */
  restart(seed: number, id: number): void {
    this.rng = createRng(seed).fork(`augment-${id}`);
  }

  /** Images `indices` of `views` as [n, h, w, c] and their labels; `augment` null for none. */
  tensors(
    views: SharedViews,
    shape: readonly [number, number, number],
    indices: Int32Array,
    augment: OptimizerSettings['augment'] | null,
  ): [tf.Tensor4D, tf.Tensor1D] {
    const [h, w, c] = shape;
    const size = h * w * c;
    if (this.x.length < indices.length * size) this.x = new Float32Array(indices.length * size);
    if (this.y.length < indices.length) this.y = new Int32Array(indices.length);
    augmentInto(this.x, views.images, indices, { height: h, width: w, channels: c }, this.rng, augment ?? NO_AUGMENTATION);
    for (let b = 0; b < indices.length; b++) this.y[b] = views.labels[indices[b] ?? 0] ?? 0;
    // slice(): the backend may keep the array it is given.
    return [
      tf.tensor4d(this.x.slice(0, indices.length * size), [indices.length, h, w, c]),
      tf.tensor1d(this.y.slice(0, indices.length), 'int32'),
    ];
  }

  /** Text windows `indices` of `views` (each `width` character ids) as ids [n, width - 1] and the next ids. */
  windows(views: SharedViews, width: number, indices: Int32Array): [tf.Tensor2D, tf.Tensor2D] {
    if (this.bytes.length < indices.length * width) this.bytes = new Uint8Array(indices.length * width);
    for (let b = 0; b < indices.length; b++) this.bytes.set(views.image(indices[b] ?? 0), b * width);
    return windowTensors(this.bytes.subarray(0, indices.length * width), indices.length, width);
  }
}
