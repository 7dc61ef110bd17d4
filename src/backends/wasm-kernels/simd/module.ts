/**
 * What the hand-written kernels (*.wat) share: each module exports its own
 * memory and one function taking pointers and sizes. The host copies inputs
 * in, calls, and copies results out; the memory grows to the largest call
 * seen and stays, so a training loop allocates nothing per step.
 */

const PAGE_BYTES = 65536;
/** wasm32 addresses are i32 and the kernels compare them unsigned; stay well inside. */
const MAX_BYTES = 2 ** 31;

export interface KernelModule {
  memory: WebAssembly.Memory;
  run: (...args: number[]) => void;
}

/** A kernel's host: it owns one instantiated module and that module's memory. */
export abstract class SimdKernel {
  protected constructor(protected readonly module: KernelModule) {}

  /** Bytes of the kernel's memory; it grows to the largest shape seen and stays. */
  get memoryBytes(): number {
    return this.module.memory.buffer.byteLength;
  }
}

/** Instantiates a kernel module and checks it exports `memory` and `name`. */
export async function instantiateKernel(wasm: BufferSource, name: string): Promise<KernelModule> {
  const { instance } = await WebAssembly.instantiate(wasm);
  const { memory, [name]: run } = instance.exports;
  if (!(memory instanceof WebAssembly.Memory) || typeof run !== 'function') {
    throw new Error(`A kernel module must export "memory" and "${name}".`);
  }
  return { memory, run: run as KernelModule['run'] };
}

/** Grows `memory` to at least `bytes`; `what` names the call in the error when that is too much. */
export function reserve(memory: WebAssembly.Memory, bytes: number, what: string): void {
  if (bytes > MAX_BYTES) {
    throw new Error(`${what} needs ${bytes} bytes of kernel memory; at most ${MAX_BYTES} are allowed.`);
  }
  const have = memory.buffer.byteLength;
  if (bytes <= have) return;
  try {
    memory.grow(Math.ceil((bytes - have) / PAGE_BYTES));
  } catch (e) {
    throw new Error(`${what} needs ${bytes} bytes of kernel memory and the browser refused to grow it from ${have}: ${String(e)}`);
  }
}

export const align16 = (bytes: number): number => Math.ceil(bytes / 16) * 16;

/** Checks every field is an integer of at least `minimum(name)`; names the first that is not. */
export function checkIntegers(kernel: string, fields: object, minimum: (name: string) => number): void {
  for (const [name, value] of Object.entries(fields)) {
    const min = minimum(name);
    if (!Number.isInteger(value) || (value as number) < min) {
      const allowed = min === -Infinity ? 'an integer' : `an integer >= ${min}`;
      throw new Error(`${kernel}: ${name} is ${String(value)}; it must be ${allowed}.`);
    }
  }
}

/** Checks each array holds exactly the values its shape needs. */
export function checkSizes(kernel: string, arrays: readonly [string, Float32Array, number][]): void {
  for (const [name, array, expected] of arrays) {
    if (array.length !== expected) {
      throw new Error(`${kernel}: ${name} holds ${array.length} values; its shape needs ${expected}.`);
    }
  }
}

/** The compiled kernel modules, as the page (inlined by Vite) or Node (compiled by wabt) has them. */
export interface WasmKernelBinaries {
  filterGrad: BufferSource;
  maxPoolGrad: BufferSource;
}

/**
 * Where an NHWC tensor [batch, height, width, channels] sits in a kernel's
 * buffer [batch, paddedHeight, paddedWidth, paddedChannels]: shifted down by
 * `top` rows and right by `left` columns; what does not fit is cropped. A
 * negative `top` or `left` (tfjs takes negative explicit padding) crops
 * that many rows or columns off the tensor's start.
 */
export interface PaddedLayout {
  batch: number;
  height: number;
  width: number;
  channels: number;
  paddedHeight: number;
  paddedWidth: number;
  paddedChannels: number;
  top: number;
  left: number;
}

/** Floats in the padded buffer. */
export const paddedSize = (p: PaddedLayout): number => p.batch * p.paddedHeight * p.paddedWidth * p.paddedChannels;

const fitsExactly = (p: PaddedLayout): boolean =>
  p.top === 0 && p.left === 0 && p.paddedHeight === p.height && p.paddedWidth === p.width && p.paddedChannels === p.channels;

/**
 * Visits the runs that are contiguous both in the tensor and in the buffer:
 * the kept part of each row when the channels are not padded, else single
 * pixels. `src` and `dst` are float offsets in the tensor and in the buffer.
 */
function forEachRun(p: PaddedLayout, visit: (src: number, dst: number, length: number) => void): void {
  const firstRow = Math.max(0, -p.top);
  const endRow = Math.min(p.height, p.paddedHeight - p.top);
  const firstColumn = Math.max(0, -p.left);
  const columns = Math.min(p.width, p.paddedWidth - p.left) - firstColumn;
  if (endRow <= firstRow || columns <= 0) return;
  const C = p.channels;
  for (let n = 0; n < p.batch; n++)
    for (let h = firstRow; h < endRow; h++) {
      const src = ((n * p.height + h) * p.width + firstColumn) * C;
      const dst = ((n * p.paddedHeight + h + p.top) * p.paddedWidth + firstColumn + p.left) * p.paddedChannels;
      if (C === p.paddedChannels) {
        visit(src, dst, columns * C);
      } else {
        for (let w = 0; w < columns; w++) visit(src + w * C, dst + w * p.paddedChannels, C);
      }
    }
}

/** Copies `tensor` into the buffer at float offset `at`, every other float of the buffer set to `fill`. */
export function copyIn(heap: Float32Array, at: number, tensor: Float32Array, p: PaddedLayout, fill: number): void {
  if (fitsExactly(p)) {
    heap.set(tensor, at);
    return;
  }
  heap.fill(fill, at, at + paddedSize(p));
  forEachRun(p, (src, dst, length) => heap.set(tensor.subarray(src, src + length), at + dst));
}

/** Copies the buffer at float offset `at` back into `tensor`, leaving out the padding. */
export function copyOut(heap: Float32Array, at: number, tensor: Float32Array, p: PaddedLayout): void {
  if (fitsExactly(p)) {
    tensor.set(heap.subarray(at, at + tensor.length));
    return;
  }
  forEachRun(p, (src, dst, length) => tensor.set(heap.subarray(at + dst, at + dst + length), src));
}

/** A tensor whose pixels keep their place and whose channels are padded to `paddedChannels`. */
export function channelPadding(batch: number, height: number, width: number, channels: number, paddedChannels: number): PaddedLayout {
  return { batch, height, width, channels, paddedHeight: height, paddedWidth: width, paddedChannels, top: 0, left: 0 };
}
