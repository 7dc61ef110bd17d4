/**
 * One trainer's model as tfjs variables, with the flat layout that theta
 * has in shared memory (`paramOffsets`), and the optimizer that updates it.
 * The trainer owns one; nothing here touches shared memory except through
 * the arrays it is handed.
 */
import * as tf from '@tensorflow/tfjs';
import { paramOffsets, paramSize, type ModelSpec } from '../models/spec';
import type { OptimizerSettings } from '../protocol';

export class ModelParams {
  readonly vars: tf.Variable[];
  /** Momentum buffers, one per `weight` parameter (null for BatchNorm running statistics). */
  private readonly velocity: (tf.Variable | null)[];
  readonly offsets: number[];

  /** `id` keeps variable names apart when several trainers share one tfjs (in-thread tests). */
  constructor(
    private readonly model: ModelSpec,
    id: number,
  ) {
    this.offsets = paramOffsets(model);
    this.vars = model.params.map((p) => tf.variable(tf.zeros(p.shape), p.role === 'weight', `w${id}/${p.name}`));
    this.velocity = model.params.map((p) => (p.role === 'weight' ? tf.variable(tf.zeros(p.shape), false, `v${id}/${p.name}`) : null));
  }

  /** One tensor per parameter from a flat theta (caller disposes). slice(): a tensor on a shared view may alias shared memory. */
  tensorsOf(flat: Float32Array): tf.Tensor[] {
    return this.model.params.map((p, i) => {
      const at = this.offsets[i] ?? 0;
      return tf.tensor(flat.slice(at, at + paramSize(p)), p.shape);
    });
  }

  /** Copies a flat theta into the variables. */
  load(theta: Float32Array): void {
    tf.tidy(() => this.tensorsOf(theta).forEach((t, i) => this.vars[i]?.assign(t)));
  }

  /** Writes the variables into `out` in the flat layout; false if any value is NaN or infinite. */
  write(out: Float32Array): Promise<boolean> {
    return writeFlat(this.vars, this.offsets, out);
  }

  /** Copies of the variables and momentum buffers, for `restore` (caller disposes). */
  save(): tf.Tensor[] {
    return tf.tidy(() => [...this.vars, ...this.velocity.filter((v): v is tf.Variable => v !== null)].map((v) => tf.clone(v)));
  }

  /** Puts back what `save` copied: steps taken since leave no trace. */
  restore(saved: readonly tf.Tensor[]): void {
    const targets = [...this.vars, ...this.velocity.filter((v): v is tf.Variable => v !== null)];
    targets.forEach((v, i) => {
      const t = saved[i];
      if (t) v.assign(t);
    });
  }

  resetMomentum(): void {
    tf.tidy(() => this.velocity.forEach((v) => v?.assign(tf.zerosLike(v))));
  }

  /**
   * SGD with momentum and L2 weight decay (PyTorch's form: v = mu v + g + wd w;
   * w -= lr v) for weights; BatchNorm running statistics take their new value.
   * `updates` in `params` order.
   */
  update(updates: readonly tf.Tensor[], { learningRate, momentum, weightDecay }: OptimizerSettings): void {
    this.vars.forEach((w, i) => {
      const u = updates[i];
      if (!u) return;
      const v = this.velocity[i];
      if (!v) {
        w.assign(u);
        return;
      }
      const full = weightDecay > 0 ? tf.add(u, tf.mul(w, weightDecay)) : u;
      const nextV = tf.add(tf.mul(v, momentum), full);
      v.assign(nextV);
      w.assign(tf.sub(w, tf.mul(nextV, learningRate)));
    });
  }

  dispose(): void {
    tf.dispose([...this.vars, ...this.velocity.filter((v): v is tf.Variable => v !== null)]);
  }
}

/** Reads `tensors` into `out` at `offsets`; false if any value is NaN or infinite. */
export async function writeFlat(tensors: readonly tf.Tensor[], offsets: readonly number[], out: Float32Array): Promise<boolean> {
  // Read every tensor first: on webgpu each read is an async readback.
  const values = await Promise.all(tensors.map((t) => t.data() as Promise<Float32Array>));
  let finite = true;
  values.forEach((v, i) => {
    out.set(v, offsets[i] ?? 0);
    if (finite) for (const x of v) if (!Number.isFinite(x)) { finite = false; break; }
  });
  return finite;
}
