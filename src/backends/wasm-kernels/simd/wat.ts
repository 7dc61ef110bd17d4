/**
 * Node-side compiler for the hand-written WebAssembly text kernels. The Vite
 * plugin (vite.config.ts) inlines the compiled bytes into the worker bundle;
 * Node tests and benchmarks compile the sources directly. Never imported by
 * browser code: it loads wabt and node:fs.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

import wabt from 'wabt';

import type { WasmKernelBinaries } from './module';

const source = (name: string): string => fileURLToPath(new URL(`./${name}`, import.meta.url));

/** One wabt instance for every compile: it is a wasm module of its own, loaded once. */
let toolkit: ReturnType<typeof wabt> | undefined;

/** Compiles a .wat file with SIMD enabled; a syntax or type error names the file and line. */
export async function compileWatFile(path: string): Promise<Uint8Array<ArrayBuffer>> {
  const text = await readFile(path, 'utf8');
  toolkit ??= wabt();
  const module = (await toolkit).parseWat(path, text, { simd: true });
  try {
    module.validate();
    return Uint8Array.from(module.toBinary({}).buffer);
  } finally {
    module.destroy();
  }
}

/** Every kernel module, compiled from the sources next to this file. */
export async function compileWasmKernels(): Promise<WasmKernelBinaries> {
  const [filterGrad, maxPoolGrad] = await Promise.all([
    compileWatFile(source('filter-grad.wat')),
    compileWatFile(source('max-pool-grad.wat')),
  ]);
  return { filterGrad, maxPoolGrad };
}

export const FILTER_GRAD_WAT = source('filter-grad.wat');
export const MAX_POOL_GRAD_WAT = source('max-pool-grad.wat');
