/**
 * The one SharedArrayBuffer every thread of a run sees, and where each thing
 * lives in it. The orchestrator allocates it; workers get the buffer and this
 * spec once, at init, and build their views from it. Nothing else about the
 * layout is known anywhere else.
 *
 * Regions (byte offsets, each aligned to 16):
 *   control   Int32[CONTROL_WORDS]         interrupt word, slot versions; Atomics only
 *   global    Float32[paramCount]          theta_bar, written by the orchestrator
 *   gradient  Float32[paramCount]          averaged gradient (sync SGD)
 *   slots     Float32[slots * paramCount]  theta_i (or g_i for sync), one per worker
 *   losses    Float32[trainSize]           per-sample loss table, +Infinity = unseen
 *   shards    Int32[slots * shardCapacity] each worker's sample order for the period
 *   labels    Uint8[trainSize + testSize]  train first, then test
 *   images    Uint8[(trainSize + testSize) * sampleBytes]
 *
 * Ownership: the orchestrator writes theta_bar, the averaged gradient, the
 * shards and the dataset; a worker writes only its own slot and the loss
 * entries of the samples it trained on.
 *
 * Ordering: the message round trip is the barrier. Every hand-off between
 * threads is a call (a postMessage to the worker) and its answer (a
 * postMessage back); a message send happens-before its receipt, so what the
 * orchestrator wrote before a call is visible to the worker handling it, and
 * what the worker wrote before answering is visible once the answer arrives.
 * Nobody reads a region while its owner may be writing it: theta_bar and
 * the shards change only between rounds, with no call in flight. The slot
 * version (Atomics.store by the worker after writing its slot) is a check,
 * not a lock: the orchestrator refuses a slot whose version is not the round
 * it asked for (a call that answered for a different round).
 *
 * Interrupt and close: the two words written while calls are in flight.
 * The orchestrator sets the interrupt word (stop(), the time limit) and
 * wakes every thread sleeping on it; a trainer checks it before each step and
 * sleeps its emulated slowdown on it, so a stop ends a long step's wait at
 * once instead of after it. The orchestrator clears it before the next run.
 * The close word holds the last closed stretch of a round filled by time: a
 * trainer told to step until stretch s closes checks it before each step.
 * Stretch ids only grow while the buffer lives, so a later run never sees an
 * earlier run's close.
 */

/** Int32 words in the control region. */
export const CONTROL_WORDS = 64;
/** Control word INTERRUPT_WORD: non-zero while the orchestrator asks every trainer to stop early. */
export const INTERRUPT_WORD = 0;
/** Control word CLOSE_WORD: the last stretch the orchestrator closed (its pacers are done); see openStretch. */
export const CLOSE_WORD = 1;
/** Control words SLOT_VERSION_BASE + i: version of worker i's slot. */
export const SLOT_VERSION_BASE = 16;

const ALIGN = 16;

export interface LayoutParams {
  paramCount: number;
  slots: number;
  trainSize: number;
  testSize: number;
  /** Bytes per image (height * width * channels, one byte per value). */
  sampleBytes: number;
  /** Samples one worker's shard can hold. */
  shardCapacity: number;
}

export interface Region {
  offset: number;
  bytes: number;
}

/** Plain data (structured-cloneable), sent to workers at init. */
export interface LayoutSpec extends LayoutParams {
  control: Region;
  global: Region;
  gradient: Region;
  slotsRegion: Region;
  losses: Region;
  shards: Region;
  labels: Region;
  images: Region;
  totalBytes: number;
}

export class LayoutError extends Error {
  override readonly name = 'LayoutError';
}

export function computeLayout(params: LayoutParams): LayoutSpec {
  for (const [key, value] of Object.entries(params)) {
    if (!Number.isInteger(value) || value < (key === 'testSize' ? 0 : 1)) {
      throw new LayoutError(`Invalid layout ${key}: ${value}. Allowed: a positive integer.`);
    }
  }
  if (params.slots + SLOT_VERSION_BASE > CONTROL_WORDS) {
    throw new LayoutError(
      `Invalid layout slots: ${params.slots}. Allowed: at most ${CONTROL_WORDS - SLOT_VERSION_BASE}.`,
    );
  }
  let cursor = 0;
  const take = (bytes: number): Region => {
    const region = { offset: cursor, bytes };
    cursor += Math.ceil(bytes / ALIGN) * ALIGN;
    return region;
  };
  const samples = params.trainSize + params.testSize;
  const control = take(CONTROL_WORDS * 4);
  const global = take(params.paramCount * 4);
  const gradient = take(params.paramCount * 4);
  const slotsRegion = take(params.slots * params.paramCount * 4);
  const losses = take(params.trainSize * 4);
  const shards = take(params.slots * params.shardCapacity * 4);
  const labels = take(samples);
  const images = take(samples * params.sampleBytes);
  return { ...params, control, global, gradient, slotsRegion, losses, shards, labels, images, totalBytes: cursor };
}

/** Typed views over one buffer laid out by `spec`. Cheap; build once per thread. */
export class SharedViews {
  readonly control: Int32Array;
  readonly global: Float32Array;
  readonly gradient: Float32Array;
  readonly losses: Float32Array;
  readonly labels: Uint8Array;
  readonly images: Uint8Array;
  private readonly slotViews: Float32Array[];
  private readonly shardViews: Int32Array[];

  constructor(
    readonly buffer: SharedArrayBuffer,
    readonly spec: LayoutSpec,
  ) {
    if (buffer.byteLength < spec.totalBytes) {
      throw new LayoutError(
        `Shared buffer is ${buffer.byteLength} bytes but the layout needs ${spec.totalBytes}.`,
      );
    }
    const f32 = (r: Region, offset = 0, length = r.bytes / 4) =>
      new Float32Array(buffer, r.offset + offset * 4, length);
    this.control = new Int32Array(buffer, spec.control.offset, CONTROL_WORDS);
    this.global = f32(spec.global);
    this.gradient = f32(spec.gradient);
    this.losses = f32(spec.losses);
    this.labels = new Uint8Array(buffer, spec.labels.offset, spec.labels.bytes);
    this.images = new Uint8Array(buffer, spec.images.offset, spec.images.bytes);
    this.slotViews = Array.from({ length: spec.slots }, (_, i) =>
      f32(spec.slotsRegion, i * spec.paramCount, spec.paramCount),
    );
    this.shardViews = Array.from(
      { length: spec.slots },
      (_, i) => new Int32Array(buffer, spec.shards.offset + i * spec.shardCapacity * 4, spec.shardCapacity),
    );
  }

  slot(worker: number): Float32Array {
    return this.checked(this.slotViews, worker, 'slot');
  }

  shard(worker: number): Int32Array {
    return this.checked(this.shardViews, worker, 'shard');
  }

  /** Bytes of sample `index` (train indices first, then test at trainSize + j). */
  image(index: number): Uint8Array {
    const { sampleBytes } = this.spec;
    return this.images.subarray(index * sampleBytes, (index + 1) * sampleBytes);
  }

  /** Marks worker `worker`'s slot as holding round `version` (after the slot is written). */
  publishSlot(worker: number, version: number): void {
    this.checked(this.slotViews, worker, 'slot');
    Atomics.store(this.control, SLOT_VERSION_BASE + worker, version);
  }

  /** Asks every trainer to end its current call early, and wakes those sleeping an emulated slowdown. */
  interrupt(): void {
    Atomics.store(this.control, INTERRUPT_WORD, 1);
    Atomics.notify(this.control, INTERRUPT_WORD);
  }

  clearInterrupt(): void {
    Atomics.store(this.control, INTERRUPT_WORD, 0);
  }

  interrupted(): boolean {
    return Atomics.load(this.control, INTERRUPT_WORD) !== 0;
  }

  /** The id of the next stretch to close, for trainers to step until it is; it stays the same until closed, then grows. */
  openStretch(): number {
    return Atomics.load(this.control, CLOSE_WORD) + 1;
  }

  /** Tells every trainer stepping until `stretch` closes to stop before its next step. */
  closeStretch(stretch: number): void {
    if (Atomics.load(this.control, CLOSE_WORD) < stretch) Atomics.store(this.control, CLOSE_WORD, stretch);
  }

  /** True once `stretch` (0 = none: never closed) is closed. */
  stretchClosed(stretch: number): boolean {
    return stretch > 0 && Atomics.load(this.control, CLOSE_WORD) >= stretch;
  }

  /**
   * Sleeps up to `ms` on the interrupt word (frees the core, as a slower
   * device would); returns at once when interrupted.
   */
  sleepUnlessInterrupted(ms: number): void {
    if (ms > 0) Atomics.wait(this.control, INTERRUPT_WORD, 0, ms);
  }

  /**
   * Writes the per-sample losses of the training samples `indices` into the
   * loss table. A NaN loss (a model gone bad) is recorded as +Infinity, "not
   * seen": the sample comes back first, and the table never holds a value that
   * would make its checkpoint unreadable.
   */
  recordLosses(indices: Int32Array, losses: ArrayLike<number>): void {
    for (let b = 0; b < indices.length; b++) {
      const index = indices[b] ?? 0;
      const loss = losses[b] ?? Number.NaN;
      if (index < this.losses.length) this.losses[index] = Number.isNaN(loss) ? Number.POSITIVE_INFINITY : loss;
    }
  }

  slotVersion(worker: number): number {
    this.checked(this.slotViews, worker, 'slot');
    return Atomics.load(this.control, SLOT_VERSION_BASE + worker);
  }

  private checked<T>(views: T[], worker: number, what: string): T {
    const view = views[worker];
    if (view === undefined) {
      throw new LayoutError(`No ${what} for worker ${worker}: the layout has slots 0..${views.length - 1}.`);
    }
    return view;
  }
}

export function allocate(spec: LayoutSpec): SharedViews {
  if (typeof SharedArrayBuffer === 'undefined') {
    throw new LayoutError(
      'SharedArrayBuffer is unavailable: the page is not cross-origin isolated ' +
        '(the server must send Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp).',
    );
  }
  return new SharedViews(new SharedArrayBuffer(spec.totalBytes), spec);
}
