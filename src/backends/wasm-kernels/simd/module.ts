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

/** Checks every field is an integer >= 1 (for `positive`) or >= 0 (the rest); names the first that is not. */
export function checkIntegers(kernel: string, fields: object, positive: (name: string) => boolean): void {
  for (const [name, value] of Object.entries(fields)) {
    const min = positive(name) ? 1 : 0;
    if (!Number.isInteger(value) || (value as number) < min) {
      throw new Error(`${kernel}: ${name} is ${String(value)}; it must be an integer >= ${min}.`);
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
